/* audiobrief pronunciation desk. The API key is typed once and kept in sessionStorage (gone with
   the tab), sent as X-API-Key; nothing else is stored and no cookie is set. */
(function () {
  "use strict";
  var desk = document.getElementById("desk");
  var VOICE = desk.dataset.voice;
  var KEY_NAME = "audiobrief-key";
  var PER_PAGE = 20;
  var SOURCE_NAMES = {
    site: "site lexicon", lexicon: "built-in lexicon", user: "the request's lexicon",
    dictionary: "stress dictionary", rule: "Ukrainian rules", espeak: "espeak's guess"
  };
  var $ = function (id) { return document.getElementById(id); };
  var state = { sentences: [], current: null, page: 1, total: 0, source: null, audio: null };

  function key() {
    try { return sessionStorage.getItem(KEY_NAME) || ""; } catch (e) { return ""; }
  }

  function say(message, isError) {
    var status = $("status");
    status.textContent = message;
    status.classList.toggle("error", !!isError);
  }

  function showKeyState() {
    var held = !!key();
    $("forget").hidden = !held;
    $("key").placeholder = held ? "key kept for this tab" : "";
  }

  function api(method, path, body) {
    var headers = { "Accept": "application/json" };
    if (key()) headers["X-API-Key"] = key();
    if (body !== undefined) headers["Content-Type"] = "application/json";
    return fetch(path, {
      method: method, headers: headers,
      body: body === undefined ? undefined : JSON.stringify(body)
    }).then(function (response) {
      if (response.status === 204) return null;
      var type = response.headers.get("content-type") || "";
      var read = type.indexOf("json") >= 0 ? response.json() : response.blob();
      return read.then(function (answer) {
        if (response.ok) return answer;
        if (response.status === 401) $("key").focus();
        var detail = answer && answer.detail ? answer.detail : response.statusText;
        var error = new Error(detail);
        error.status = response.status;
        throw error;
      });
    });
  }

  function failed(error) { say(error.message || String(error), true); }

  /* Hearing ---------------------------------------------------------------------------- */

  function xml(text) {
    return text.replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" }[c];
    });
  }

  function phonemeTag(text, phonemes) {
    return '<phoneme alphabet="ipa" ph="' + xml(phonemes) + '">' + xml(text) + "</phoneme>";
  }

  /* The sentence as SSML: each decided name by its phonemes, `override` (a segment index and
     phonemes) in place of one. */
  function sentenceSsml(sentence, override) {
    var parts = sentence.segments.map(function (segment, index) {
      if (override && override.index === index) return phonemeTag(segment.text, override.phonemes);
      if (segment.source && segment.source !== "espeak" && segment.phonemes) {
        return phonemeTag(segment.text, segment.phonemes);
      }
      return xml(segment.text);
    });
    return "<speak>" + parts.join("") + "</speak>";
  }

  function speak(input) {
    say("Making the audio…");
    desk.dataset.heard = input;
    return fetch("/v1/audio/speech", {
      method: "POST",
      headers: Object.assign({ "Content-Type": "application/json" },
                             key() ? { "X-API-Key": key() } : {}),
      body: JSON.stringify({ input: input, voice: VOICE, response_format: "mp3" })
    }).then(function (response) {
      if (!response.ok) {
        return response.json().then(function (problem) { throw new Error(problem.detail); });
      }
      return response.blob();
    }).then(function (blob) {
      if (state.audio) { state.audio.pause(); URL.revokeObjectURL(state.audio.src); }
      state.audio = new Audio(URL.createObjectURL(blob));
      return state.audio.play().then(function () { say("Playing."); }, function () {
        say("The browser would not play it; press the button again.");
      });
    }).catch(failed);
  }

  function wordSsml(text, phonemes, source) {
    if (phonemes && source !== "espeak") return "<speak>" + phonemeTag(text, phonemes) + "</speak>";
    return "<speak>" + xml(text) + "</speak>";
  }

  /* The script ------------------------------------------------------------------------- */

  function showScript(script) {
    var root = $("script");
    root.textContent = "";
    state.sentences = [];
    var heading = document.createElement("p");
    heading.className = "muted";
    heading.textContent = "“" + script.title + "”, read by " + script.voice + ". Choose a name to hear or fix it.";
    root.appendChild(heading);
    script.chapters.forEach(function (chapter) {
      if (chapter.title) {
        var title = document.createElement("h3");
        title.textContent = chapter.title;
        root.appendChild(title);
      }
      chapter.sentences.forEach(function (sentence) {
        var index = state.sentences.push(sentence) - 1;
        var line = document.createElement("p");
        sentence.segments.forEach(function (segment, at) {
          if (!segment.source) { line.appendChild(document.createTextNode(segment.text)); return; }
          var name = document.createElement("button");
          name.type = "button";
          name.className = "name src-" + segment.source;
          name.textContent = segment.text;
          name.dataset.source = segment.source;
          name.dataset.sentence = String(index);
          name.dataset.segment = String(at);
          name.title = segment.text + ": " + (SOURCE_NAMES[segment.source] || segment.source);
          name.setAttribute("aria-label", name.title);
          line.appendChild(name);
        });
        root.appendChild(line);
      });
    });
  }

  function check(event) {
    if (event) event.preventDefault();
    var given = $("source").value.trim();
    if (!given) return;
    state.source = given;
    var body = /^https?:\/\/\S+$/i.test(given) ? { url: given } : { text: given };
    say("Reading the article…");
    api("POST", "/v1/desk/script", body).then(function (script) {
      showScript(script);
      say("The names are marked by who decided how they are said.");
    }).catch(failed);
  }

  /* Fixing ---------------------------------------------------------------------------- */

  function openFix(word, phonemes, source, sentence, segment) {
    state.current = { word: word, phonemes: phonemes, source: source, sentence: sentence,
                      segment: segment };
    $("fix").hidden = false;
    $("fix-word").textContent = word;
    $("fix-now").textContent = phonemes || "(espeak's reading of the letters)";
    $("fix-source").textContent = source ? "— " + (SOURCE_NAMES[source] || source) : "";
    $("fix-entry").value = word.replace(/['’]s$/, "");
    $("fix-said").value = "";
    $("fix-note").value = "";
    $("fix-would").textContent = "";
    $("hear-sentence").disabled = sentence === null;
    $("fix-said").focus();
  }

  function kind() {
    return document.querySelector('input[name="kind"]:checked').value;
  }

  function change() {
    var body = { note: $("fix-note").value.trim() };
    body[kind()] = $("fix-said").value.trim();
    return body;
  }

  function candidate() {
    var body = { word: $("fix-entry").value.trim() };
    body[kind()] = $("fix-said").value.trim();
    return api("POST", "/v1/desk/phonemes", body).then(function (answer) {
      $("fix-would").textContent = answer.phonemes;
      return answer.phonemes;
    });
  }

  function tryFix() {
    candidate().then(function (phonemes) {
      var current = state.current;
      if (current && current.sentence !== null) {
        return speak(sentenceSsml(state.sentences[current.sentence],
                                  { index: current.segment, phonemes: phonemes }));
      }
      return speak(wordSsml($("fix-entry").value.trim(), phonemes, "site"));
    }).catch(failed);
  }

  function save(andApply) {
    var word = $("fix-entry").value.trim();
    if (!word || !$("fix-said").value.trim()) { say("Write the word and how it is said.", true); return; }
    var path = "/v1/lexicon/" + encodeURIComponent(word);
    api("PUT", path, change()).then(function (entry) {
      $("fix-would").textContent = entry.phonemes;
      say("Saved: " + entry.word + " is said " + entry.phonemes + " in new articles.");
      loadList();
      if (state.source) check();
      if (!andApply) return null;
      return api("POST", path + "/apply").then(function (applied) {
        var count = applied.remade.length;
        say("Saved " + entry.word + "; " + (count ? "re-making " + count + " article" +
            (count === 1 ? "" : "s") + " (only the sentences that say it)." :
            "no finished article says it."));
      });
    }).catch(failed);
  }

  /* The site lexicon ------------------------------------------------------------------ */

  function loadList(event) {
    if (event) { event.preventDefault(); state.page = 1; }
    var query = encodeURIComponent($("search").value.trim());
    api("GET", "/v1/lexicon?q=" + query + "&page=" + state.page + "&per_page=" + PER_PAGE)
      .then(function (page) {
        state.total = page.total;
        var list = $("entries");
        list.textContent = "";
        page.entries.forEach(function (entry) {
          var item = document.createElement("li");
          var word = document.createElement("span");
          word.className = "word";
          word.textContent = entry.word;
          item.appendChild(word);
          item.appendChild(document.createTextNode(" " + entry.phonemes +
            (entry.respelling ? " (" + entry.respelling + ")" : "") +
            (entry.note ? " — " + entry.note : "")));
          var hear = button("Hear", "Hear " + entry.word, function () {
            speak(wordSsml(entry.word, entry.phonemes, "site"));
          });
          var edit = button("Edit", "Edit " + entry.word, function () {
            openFix(entry.word, entry.phonemes, "site", null, null);
            $("fix-note").value = entry.note;
            if (entry.respelling) { $("fix-said").value = entry.respelling; }
            else {
              document.querySelector('input[name="kind"][value="phonemes"]').checked = true;
              $("fix-said").value = entry.phonemes;
            }
          });
          var remove = button("Delete", "Delete " + entry.word, function () {
            api("DELETE", "/v1/lexicon/" + encodeURIComponent(entry.word)).then(function () {
              say("Deleted " + entry.word + ".");
              loadList();
            }).catch(failed);
          });
          item.append(hear, edit, remove);
          list.appendChild(item);
        });
        $("list-count").textContent = page.total + " word" + (page.total === 1 ? "" : "s") +
          (query ? " found" : " in the site lexicon");
        $("prev").disabled = state.page <= 1;
        $("next").disabled = state.page * PER_PAGE >= page.total;
      }).catch(failed);
  }

  function button(text, label, action) {
    var made = document.createElement("button");
    made.type = "button";
    made.textContent = text;
    made.setAttribute("aria-label", label);
    made.addEventListener("click", action);
    return made;
  }

  /* Names no lexicon decided ---------------------------------------------------------- */

  function loadUnsettled(event) {
    if (event) event.preventDefault();
    var count = Math.max(1, Math.min(200, parseInt($("recent").value, 10) || 20));
    api("GET", "/v1/desk/unsettled?articles=" + count).then(function (answer) {
      var list = $("unsettled");
      list.textContent = "";
      if (!answer.words.length) {
        var none = document.createElement("li");
        none.textContent = "None in the last " + answer.articles + " articles.";
        list.appendChild(none);
      }
      answer.words.forEach(function (word) {
        var item = document.createElement("li");
        var name = button(word.word, word.word + ": " + SOURCE_NAMES[word.source], function () {
          openFix(word.word, word.phonemes, word.source, null, null);
        });
        name.className = "name src-" + word.source;
        item.appendChild(name);
        item.appendChild(document.createTextNode(" " + SOURCE_NAMES[word.source] + ", in " +
          word.articles + " article" + (word.articles === 1 ? "" : "s")));
        list.appendChild(item);
      });
    }).catch(failed);
  }

  /* Wiring ---------------------------------------------------------------------------- */

  $("key-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var given = $("key").value.trim();
    try { sessionStorage.setItem(KEY_NAME, given); } catch (e) { /* private mode: this page only */ }
    $("key").value = "";
    showKeyState();
    say(given ? "Key kept for this tab." : "No key.");
    loadList();
  });
  $("forget").addEventListener("click", function () {
    try { sessionStorage.removeItem(KEY_NAME); } catch (e) { /* nothing kept */ }
    showKeyState();
    say("Key forgotten.");
  });
  $("check-form").addEventListener("submit", check);
  $("script").addEventListener("click", function (event) {
    var name = event.target.closest("button.name");
    if (!name) return;
    var sentence = state.sentences[Number(name.dataset.sentence)];
    var segment = sentence.segments[Number(name.dataset.segment)];
    openFix(segment.text, segment.phonemes || "", segment.source, Number(name.dataset.sentence),
            Number(name.dataset.segment));
  });
  $("hear-word").addEventListener("click", function () {
    var current = state.current;
    if (current) speak(wordSsml(current.word, current.phonemes, current.source));
  });
  $("hear-sentence").addEventListener("click", function () {
    var current = state.current;
    if (current && current.sentence !== null) speak(sentenceSsml(state.sentences[current.sentence]));
  });
  $("try").addEventListener("click", tryFix);
  $("fix-form").addEventListener("submit", function (event) { event.preventDefault(); save(false); });
  $("save-apply").addEventListener("click", function () { save(true); });
  $("close-fix").addEventListener("click", function () { $("fix").hidden = true; $("source").focus(); });
  $("fix").addEventListener("keydown", function (event) {
    if (event.key === "Escape") { $("fix").hidden = true; $("source").focus(); }
  });
  $("search-form").addEventListener("submit", loadList);
  $("prev").addEventListener("click", function () { state.page -= 1; loadList(); });
  $("next").addEventListener("click", function () { state.page += 1; loadList(); });
  $("unsettled-form").addEventListener("submit", loadUnsettled);

  showKeyState();
  if (desk.dataset.keyed !== "true" || key()) { loadList(); loadUnsettled(); }
  else { say("Type the API key to begin."); $("key").focus(); }
})();
