/* audiobrief embed: a script tag with src="https://host/embed.js" and data-url="ARTICLE_URL" asks
   the service for the article's audio and puts its player in an iframe right after the tag;
   data-theme="light" (the default), "dark" or "auto" (the reader's system) picks its colours. */
(function () {
  "use strict";

  const script = document.currentScript;
  if (!script) return;
  // The service root: as bound by the server, else the script's own URL minus "/embed.js".
  const base = (__AUDIOBRIEF_BASE_URL__ || script.src.replace(/\/embed\.js(?:[?#].*)?$/, ""))
    .replace(/\/$/, "");
  const canonical = document.querySelector('link[rel="canonical"]');
  const articleUrl = script.dataset.url || (canonical && canonical.href) || location.href;
  const theme = /^(dark|auto)$/.test(script.dataset.theme || "") ? script.dataset.theme : "light";

  function warn(message) {
    console.warn("audiobrief: " + message + " (" + articleUrl + ")");
  }

  async function embed() {
    // Look up first: a page view costs the service a lookup, and only the first reader of a new
    // article asks for it to be made, when the service says this caller may (no keys set).
    let response = await fetch(base + "/v1/articles?url=" + encodeURIComponent(articleUrl));
    let body = await response.json().catch(() => ({}));
    if (response.status === 404 && body.create === true) {
      response = await fetch(base + "/v1/articles", {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ url: articleUrl }),
      });
      body = await response.json().catch(() => ({}));
    } else if (response.status === 404) {
      return; // made only by the site's own CMS (API keys): not narrated yet
    }
    if (!response.ok) throw new Error(body.detail || "HTTP " + response.status);
    if (!body.links || !body.links.embed) throw new Error("no embed link in the answer");

    const frame = document.createElement("iframe");
    frame.src = base + body.links.embed + "?theme=" + theme;
    frame.title = "Audio version of this article";
    frame.loading = "lazy";
    // The frame's color-scheme is the player's own: where they differ, browsers paint an opaque
    // backdrop behind the frame (black corners around the card on a dark system).
    const scheme = theme === "auto" ? "light dark" : theme;
    frame.style.cssText = "width:100%;border:0;height:96px;display:block;color-scheme:" + scheme;
    frame.className = "audiobrief-player";
    script.after(frame);

    const origin = new URL(base, location.href).origin;
    addEventListener("message", (event) => {
      const message = event.data;
      if (event.origin !== origin || event.source !== frame.contentWindow) return;
      if (!message || message.type !== "audiobrief:height" || message.id !== body.id) return;
      const height = Number(message.height);
      if (height > 0 && height < 10000) frame.style.height = Math.ceil(height) + "px";
    });
  }

  embed().catch((error) => warn(error.message));
})();
