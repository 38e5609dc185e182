/* audiobrief player: polls an article's JSON until its audio is ready, then plays it with
   chapters and a sentence-timed transcript. The audio element's currentTime is the only clock. */
(function () {
  "use strict";

  const root = document.getElementById("player");
  const id = root.dataset.article;
  const base = root.dataset.base || "";
  const jsonUrl = base + "/v1/articles/" + encodeURIComponent(id);
  const positionKey = "audiobrief:position:" + id;
  const speedKey = "audiobrief:speed";
  const EPSILON_S = 0.05;  // a seek to a start time may land a hair before it

  const el = (name) => document.getElementById(name);
  const audio = el("audio");
  const play = el("play");
  const seek = el("seek");
  const speed = el("speed");
  const status = el("status");
  const sentencesBox = el("sentences");

  let chapters = [];   // {start, end, node}
  let sentences = [];  // {start, end, node}
  let currentChapter = -1;
  let currentSentence = -1;
  let savedAt = -1;
  let shownClock = "";
  let restored = false;  // no position is written before the saved one has been read back

  function store(key, value) {
    try {
      if (value === null) localStorage.removeItem(key); else localStorage.setItem(key, value);
    } catch (e) { /* storage may be blocked in third-party frames */ }
  }
  function recall(key) {
    try { return localStorage.getItem(key); } catch (e) { return null; }
  }

  function clock(seconds) {
    const s = Math.max(0, Math.floor(seconds || 0));
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    const ss = String(s % 60).padStart(2, "0");
    return h ? h + ":" + String(m).padStart(2, "0") + ":" + ss : m + ":" + ss;
  }

  function duration() {
    return isFinite(audio.duration) && audio.duration > 0 ? audio.duration : Number(seek.max) || 0;
  }

  // Index of the last item that has started by time t (-1 before the first).
  function startedAt(items, t) {
    let found = -1;
    for (let i = 0; i < items.length && items[i].start <= t + EPSILON_S; i++) found = i;
    return found;
  }

  function render() {
    const t = audio.currentTime;
    const total = duration();
    seek.value = String(t);
    const elapsed = clock(t);
    if (elapsed !== shownClock) {  // whole seconds: no DOM or screen-reader churn at frame rate
      shownClock = elapsed;
      seek.setAttribute("aria-valuetext", elapsed + " of " + clock(total));
      el("elapsed").textContent = elapsed;
      el("remaining").textContent = "-" + clock(total - t);
    }

    const c = startedAt(chapters, t);
    if (c !== currentChapter) {
      if (currentChapter >= 0) chapters[currentChapter].node.removeAttribute("aria-current");
      if (c >= 0) chapters[c].node.setAttribute("aria-current", "true");
      currentChapter = c;
    }
    const s = startedAt(sentences, t);
    if (s !== currentSentence) {
      if (currentSentence >= 0) sentences[currentSentence].node.classList.remove("current");
      if (s >= 0) {
        sentences[s].node.classList.add("current");
        if (!audio.paused) reveal(sentences[s].node);
      }
      currentSentence = s;
    }

    if (restored && Math.abs(t - savedAt) >= 1) remember();
  }

  // Scroll the transcript box only, never the host page around the frame.
  function reveal(node) {
    if (!el("transcript").open) return;
    const top = node.offsetTop - sentencesBox.offsetTop;
    if (top < sentencesBox.scrollTop || top + node.offsetHeight > sentencesBox.scrollTop + sentencesBox.clientHeight) {
      sentencesBox.scrollTop = Math.max(0, top - sentencesBox.clientHeight / 3);
    }
  }

  function remember() {
    if (!restored) return;
    savedAt = audio.currentTime;
    store(positionKey, savedAt > 1 && !audio.ended ? savedAt.toFixed(2) : null);
  }

  function tick() {
    render();
    if (!audio.paused) requestAnimationFrame(tick);
  }

  function start() {
    const attempt = audio.play();
    if (attempt) attempt.catch(() => { /* autoplay refused: the play button stays ready */ });
  }

  function jump(seconds, andPlay) {
    audio.currentTime = Math.min(Math.max(0, seconds), duration());
    render();
    if (andPlay && audio.paused) start();
  }

  function showStatus(text, fraction, isError) {
    status.hidden = false;
    status.classList.toggle("error", Boolean(isError));
    el("status-text").textContent = text;
    const bar = el("progress");
    bar.hidden = fraction === null;
    if (fraction !== null) bar.value = fraction;
  }

  function showHeading(article) {
    const title = el("title");
    title.textContent = "";
    const text = article.title || "Audio version of this article";
    if (article.url) {
      const link = document.createElement("a");
      link.href = article.url;
      link.target = "_blank";
      link.rel = "noopener";
      link.textContent = text;
      title.append(link);
    } else {
      title.textContent = text;
    }
    el("meta").textContent = [article.byline, article.site, article.date].filter(Boolean).join(" · ");
  }

  function buildChapters(list) {
    const box = el("chapters");
    box.textContent = "";
    chapters = list.map((chapter, i) => {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "chapter";
      button.dataset.start = String(chapter.start);
      button.setAttribute("aria-label", "Chapter " + (i + 1) + ": " + chapter.title + ", at " + clock(chapter.start));
      const name = document.createElement("span");
      name.className = "name";
      name.textContent = chapter.title;
      const at = document.createElement("span");
      at.className = "at";
      at.textContent = clock(chapter.start);
      button.append(name, at);
      button.addEventListener("click", () => { sendEvent("chapter"); jump(chapter.start, true); });
      const item = document.createElement("li");
      item.append(button);
      box.append(item);
      return { start: chapter.start, end: chapter.end, node: button };
    });
    el("chapters-nav").hidden = chapters.length < 2;
  }

  // One paragraph per chapter: the JSON knows chapters, not the article's paragraphs.
  function buildTranscript(list) {
    sentencesBox.textContent = "";
    const bounds = chapters.length ? chapters : [{ start: 0 }];
    let paragraph = null;
    let next = 0;
    sentences = list.map((sentence) => {
      if (!paragraph || (next < bounds.length && sentence.start + EPSILON_S >= bounds[next].start)) {
        paragraph = document.createElement("p");
        sentencesBox.append(paragraph);
        while (next < bounds.length && sentence.start + EPSILON_S >= bounds[next].start) next++;
      }
      const span = document.createElement("span");
      span.className = "sentence";
      span.dataset.start = String(sentence.start);
      span.setAttribute("role", "button");
      span.tabIndex = 0;
      span.textContent = sentence.text;
      span.addEventListener("click", () => jump(sentence.start, true));
      span.addEventListener("keydown", (event) => {
        if (event.key === "Enter" || event.key === " ") {
          event.preventDefault();
          jump(sentence.start, true);
        }
      });
      paragraph.append(span, " ");
      return { start: sentence.start, end: sentence.end, node: span };
    });
    el("transcript").hidden = sentences.length === 0;
  }

  function ready(article, autoplay) {
    status.hidden = true;
    root.removeAttribute("aria-busy");
    buildChapters(article.chapters || []);
    buildTranscript(article.sentences || []);
    const audioUrl = base + article.links.audio;
    seek.max = String(article.duration || 0);
    el("download").href = audioUrl;
    el("download").setAttribute("download", (article.title || id).replace(/[^\w\- ]+/g, "").trim().slice(0, 80) + ".mp3");
    el("controls").hidden = false;
    el("timeline").hidden = false;
    play.disabled = false;

    audio.addEventListener("loadedmetadata", () => {
      seek.max = String(duration());
      shownClock = "";
      const saved = Number(recall(positionKey));
      if (saved > 0 && saved < duration() - 1) audio.currentTime = saved;
      restored = true;
      render();
      if (autoplay) start();
    }, { once: true });
    audio.src = audioUrl;
    audio.load();
    render();
  }

  let failures = 0;
  let sawWork = false;
  async function poll() {
    let article;
    try {
      const response = await fetch(jsonUrl, { cache: "no-store", headers: { Accept: "application/json" } });
      if (response.status === 404) return showStatus("This audio was not found.", null, true);
      if (response.status === 410) {
        root.removeAttribute("aria-busy");
        return showStatus("This audio was withdrawn.", null, true);
      }
      if (!response.ok) throw new Error("HTTP " + response.status);
      article = await response.json();
      failures = 0;
    } catch (error) {
      failures += 1;
      if (failures > 10) return showStatus("Could not reach the audio service.", null, true);
      return setTimeout(poll, 2000);
    }
    showHeading(article);
    if (article.status === "done") return ready(article, sawWork);
    if (article.status === "failed") {
      root.removeAttribute("aria-busy");
      return showStatus("This audio could not be made: " + (article.error || "unknown error"), null, true);
    }
    sawWork = true;
    const progress = article.progress || {};
    if (article.status === "running" && progress.total) {
      showStatus("Preparing audio… " + progress.done + " of " + progress.total + " sentences",
        progress.done / progress.total, false);
    } else {
      showStatus("Waiting to prepare the audio…", 0, false);
    }
    setTimeout(poll, 1000);
  }

  play.addEventListener("click", () => (audio.paused ? start() : audio.pause()));
  el("back").addEventListener("click", () => jump(audio.currentTime - 15));
  el("forward").addEventListener("click", () => jump(audio.currentTime + 15));
  seek.addEventListener("input", () => jump(Number(seek.value)));
  speed.addEventListener("change", () => {
    audio.playbackRate = audio.defaultPlaybackRate = Number(speed.value);
    store(speedKey, speed.value);
  });
  const savedSpeed = recall(speedKey);
  if (savedSpeed && speed.querySelector('option[value="' + CSS.escape(savedSpeed) + '"]')) {
    speed.value = savedSpeed;
    audio.playbackRate = audio.defaultPlaybackRate = Number(savedSpeed);
  }

  audio.addEventListener("play", () => {
    play.classList.add("playing");
    play.setAttribute("aria-label", "Pause");
    tick();
  });
  audio.addEventListener("pause", () => {
    play.classList.remove("playing");
    play.setAttribute("aria-label", "Play");
    render();
    remember();
  });
  audio.addEventListener("timeupdate", render);
  audio.addEventListener("seeked", () => { render(); remember(); });
  audio.addEventListener("ended", () => store(positionKey, null));
  audio.addEventListener("ratechange", () => { speed.value = String(audio.playbackRate); });
  audio.addEventListener("error", () => showStatus("The audio could not be loaded.", null, true));
  addEventListener("pagehide", remember);

  // Space plays and pauses, arrows step 5 s, unless the focused control needs those keys itself.
  document.addEventListener("keydown", (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey || !audio.src) return;
    const target = event.target;
    const tag = target.tagName;
    if (event.key === " ") {
      if (/^(BUTTON|SELECT|INPUT|TEXTAREA|A|SUMMARY)$/.test(tag) || target.getAttribute("role") === "button") return;
      event.preventDefault();
      play.click();
    } else if (event.key === "ArrowLeft" || event.key === "ArrowRight") {
      if (tag === "SELECT" || tag === "TEXTAREA" || (tag === "INPUT" && target !== seek)) return;
      event.preventDefault();
      jump(audio.currentTime + (event.key === "ArrowLeft" ? -5 : 5));
    }
  });

  if (window.parent !== window && "ResizeObserver" in window) {
    let lastHeight = 0;
    new ResizeObserver(() => {
      const height = Math.ceil(document.documentElement.getBoundingClientRect().height);
      if (height === lastHeight) return;
      lastHeight = height;
      window.parent.postMessage({ type: "audiobrief:height", id: id, height: height }, "*");
    }).observe(document.documentElement);
  }

  // Listening figures: anonymous events to this service only (no cookie, no id, no time),
  // none at all when the browser asks for none (Do Not Track, Global Privacy Control).
  const counted = !(navigator.doNotTrack === "1" || window.doNotTrack === "1" ||
    navigator.globalPrivacyControl === true) && "sendBeacon" in navigator;
  function sendEvent(kind) {
    if (!counted) return;
    try {
      navigator.sendBeacon(base + "/v1/events", JSON.stringify({ article: id, kind: kind }));
    } catch (e) { /* a lost count is not the listener's problem */ }
  }
  (function countListening() {
    let playing = false;  // one play from the first start until the end is reached
    let quarters = 0;     // quarter marks this play has passed (each sent once)
    audio.addEventListener("play", () => {
      if (!playing) { playing = true; quarters = 0; sendEvent("play"); }
    });
    audio.addEventListener("timeupdate", () => {
      const total = duration();
      if (!playing || !total) return;
      const reached = Math.min(3, Math.floor((audio.currentTime / total) * 4));
      while (quarters < reached) { quarters += 1; sendEvent(String(quarters * 25)); }
    });
    audio.addEventListener("ended", () => {
      if (!playing) return;
      while (quarters < 3) { quarters += 1; sendEvent(String(quarters * 25)); }
      playing = false;
      sendEvent("complete");
    });
  })();

  poll();
})();
