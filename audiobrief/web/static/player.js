/* audiobrief player: polls an article's JSON until its audio is ready; play before then starts
   the running job's live stream, which the finished file takes over from at the same position.
   Chapters and a word-timed (else sentence-timed) transcript sit behind "More". Nothing plays
   until the reader asks. The audio element's currentTime is the only clock. */
(function () {
  "use strict";

  const root = document.getElementById("player");
  const id = root.dataset.article;
  const base = root.dataset.base || "";
  const selfUrl = base + "/v1/articles/" + encodeURIComponent(id);
  const positionKey = "audiobrief:position:" + id;
  const speedKey = "audiobrief:speed";
  const EPSILON_S = 0.05;  // a seek to a start time may land a hair before it
  const MAX_WORDS = 200000;  // a transcript.json beyond this is not laid out word by word

  const el = (name) => document.getElementById(name);
  const audio = el("audio");
  const play = el("play");
  const seek = el("seek");
  const speed = el("speed");
  const clockText = el("clock");
  const more = el("more");
  const panel = el("panel");
  const sentencesBox = el("sentences");

  let article = null;   // the finished article's JSON
  let source = "";      // what audio.src is: "" (nothing yet), "live" (the job's stream) or "file"
  let audioUrl = selfUrl + "/audio.mp3";
  let pendingAt = null; // where to put the clock once the file's metadata is in
  let chapters = [];    // {start, node}
  let sentences = [];   // {start, end, text, node}
  let words = [];       // {start, end, node}
  let wordsAsked = false;
  let shown = { chapter: -1, sentence: -1, word: -1 };
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
    if (isFinite(audio.duration) && audio.duration > 0) return audio.duration;
    return article ? article.duration || 0 : 0;
  }

  // Index of the last item that has started by time t (-1 before the first); items by start.
  function startedAt(items, t) {
    let low = 0;
    let high = items.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (items[middle].start <= t + EPSILON_S) low = middle + 1; else high = middle;
    }
    return low - 1;
  }

  function announce(text) {
    el("status").textContent = text;
  }

  function showError(text) {
    root.dataset.state = "error";
    root.removeAttribute("aria-busy");
    clockText.textContent = text;
    clockText.classList.add("error");
    announce(text);
  }

  function mark(kind, items, index, className) {
    if (index === shown[kind]) return;
    const before = items[shown[kind]];
    if (before) before.node.classList.remove(className);
    if (items[index]) items[index].node.classList.add(className);
    shown[kind] = index;
    return items[index];
  }

  function render() {
    const t = pendingAt !== null ? pendingAt : audio.currentTime;  // a file loading shows 0
    const total = duration();
    let text;
    if (!article) text = t > 0 || !audio.paused ? clock(t) + " · live" : "Listen · live";
    else if (t < 0.5 && audio.paused) text = "Listen · " + Math.max(1, Math.round(total / 60)) + " min";
    else text = clock(t) + " / " + clock(total);
    if (article) {
      seek.value = String(t);
      seek.style.setProperty("--fill", (total ? Math.min(100, (100 * t) / total) : 0) + "%");
    }
    if (text !== shownClock && !clockText.classList.contains("error")) {
      shownClock = text;  // whole seconds: no DOM or screen-reader churn at frame rate
      clockText.textContent = text;
      seek.setAttribute("aria-valuetext", clock(t) + " of " + clock(total));
    }

    const chapter = startedAt(chapters, t);
    if (chapter !== shown.chapter) {
      if (chapters[shown.chapter]) chapters[shown.chapter].node.removeAttribute("aria-current");
      if (chapters[chapter]) chapters[chapter].node.setAttribute("aria-current", "true");
      shown.chapter = chapter;
    }
    const sentence = mark("sentence", sentences, startedAt(sentences, t), "current");
    const word = mark("word", words, startedAt(words, t), "current");
    if (!audio.paused && (word || (sentence && !words.length))) reveal((word || sentence).node);

    if (restored && source === "file" && Math.abs(t - savedAt) >= 1) remember();
  }

  // Scroll the transcript box only, never the host page around the frame.
  function reveal(node) {
    if (panel.hidden) return;
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
    if (attempt) attempt.catch(() => { /* refused or interrupted: the play button stays ready */ });
  }

  // Point the audio element at the live stream, or at the finished file with its clock at `at`.
  function load(kind, at, andPlay) {
    source = kind;
    root.dataset.source = kind;
    if (kind === "file") {
      pendingAt = at;
      audio.preload = "metadata";
      // The URL names the finished file; the stream of the running job has its own.
      audio.src = audioUrl;
    } else {
      audio.preload = "auto";
      audio.src = audioUrl + "?live=1";
    }
    if (andPlay) start();
  }

  // From the live stream to the finished file, at the same position (the stream's frames are
  // the file's): done while paused or for a jump, so continuous listening is never cut.
  function toFile(at, andPlay) {
    load("file", at, andPlay);
    render();
  }

  function jump(seconds, andPlay) {
    const to = Math.min(Math.max(0, seconds), duration() || seconds);
    if (source === "live") {
      if (!article) return;  // a stream still being made cannot seek
      return toFile(to, andPlay || !audio.paused);
    }
    if (audio.readyState < 1) pendingAt = to; else audio.currentTime = to;
    render();
    if (andPlay && audio.paused) start();
  }

  function buildChapters(list) {
    const box = el("chapters");
    box.textContent = "";
    chapters = list.map((chapter, i) => {
      // The host page shows the headline already; the first chapter is where it is read.
      const title = i === 0 && chapter.title === article.title ? "Headline" : chapter.title;
      const button = document.createElement("button");
      button.type = "button";
      button.className = "chapter";
      button.dataset.start = String(chapter.start);
      button.setAttribute("aria-label", "Chapter " + (i + 1) + ": " + title + ", at " + clock(chapter.start));
      const name = document.createElement("span");
      name.className = "name";
      name.textContent = title;
      const at = document.createElement("span");
      at.className = "at";
      at.textContent = clock(chapter.start);
      button.append(name, at);
      button.addEventListener("click", () => { sendEvent("chapter"); jump(chapter.start, true); });
      const item = document.createElement("li");
      item.append(button);
      box.append(item);
      return { start: chapter.start, node: button };
    });
    el("chapters-nav").hidden = chapters.length < 2;
  }

  // One <p> per paragraph of the article, each sentence a button that seeks to it.
  function buildTranscript(list) {
    sentencesBox.textContent = "";
    let paragraph = null;
    let number = null;
    sentences = list.map((sentence, i) => {
      const at = sentence.paragraph === undefined ? i : sentence.paragraph;
      if (!paragraph || at !== number) {
        paragraph = document.createElement("p");
        sentencesBox.append(paragraph);
        number = at;
      }
      const span = document.createElement("span");
      span.className = "sentence";
      span.dataset.start = String(sentence.start);
      span.setAttribute("role", "button");
      span.tabIndex = 0;
      span.textContent = sentence.text;
      paragraph.append(span, " ");
      return { start: sentence.start, end: sentence.end, text: sentence.text, node: span };
    });
    el("transcript").hidden = sentences.length === 0;
  }

  // Word timings (Podcasting 2.0 JSON transcript, one segment a word) laid into the sentences as
  // written: each word is looked for in its sentence's text, so punctuation stays as it was.
  function placeWords(segments) {
    const list = segments
      .filter((s) => s && typeof s.body === "string" && s.body.trim() && Number.isFinite(Number(s.startTime)))
      .map((s) => ({ startTime: Number(s.startTime), endTime: Number(s.endTime), body: s.body }))
      .sort((a, b) => a.startTime - b.startTime);
    const placed = [];
    let next = 0;
    sentences.forEach((sentence, i) => {
      const until = i + 1 < sentences.length ? sentences[i + 1].start - EPSILON_S : Infinity;
      const mine = [];
      while (next < list.length && list[next].startTime < until) mine.push(list[next++]);
      if (!mine.length) return;
      const text = sentence.text;
      const parts = [];
      let cursor = 0;
      for (const segment of mine) {
        const body = segment.body.trim();
        const at = text.indexOf(body, cursor);
        if (at < 0) continue;  // not in the sentence as written: the sentence still highlights
        if (at > cursor) parts.push(document.createTextNode(text.slice(cursor, at)));
        const span = document.createElement("span");
        span.className = "word";
        span.dataset.start = String(segment.startTime);
        span.textContent = body;
        parts.push(span);
        placed.push({ start: segment.startTime, end: segment.endTime, node: span });
        cursor = at + body.length;
      }
      if (cursor < text.length) parts.push(document.createTextNode(text.slice(cursor)));
      sentence.node.replaceChildren(...parts);
    });
    words = placed;
    shown.word = -1;
    root.dataset.timing = words.length ? "words" : "sentences";
    render();
  }

  async function loadWords() {
    if (wordsAsked || !article || !sentences.length) return;
    wordsAsked = true;
    const links = article.links || {};
    const url = base + (links.transcript_json ||
      (links.transcript_vtt || "/v1/articles/" + encodeURIComponent(id) + "/transcript.vtt").replace(/\.vtt$/, ".json"));
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" } });
      if (!response.ok) throw new Error("HTTP " + response.status);
      const transcript = await response.json();
      const segments = transcript && transcript.segments;
      if (!Array.isArray(segments) || segments.length > MAX_WORDS) throw new Error("no segments");
      placeWords(segments);
    } catch (error) {
      root.dataset.timing = "sentences";  // none yet (404) or unreadable: sentence by sentence
    }
  }

  function ready(found) {
    const wasMaking = root.dataset.state === "making";
    article = found;
    audioUrl = base + article.links.audio;
    root.dataset.state = "ready";
    root.removeAttribute("aria-busy");
    el("note").hidden = true;
    buildChapters(article.chapters || []);
    buildTranscript(article.sentences || []);
    el("controls").hidden = false;
    const download = el("download");
    download.href = audioUrl;
    download.setAttribute("download", (article.title || id).replace(/[^\w\- ]+/g, "").trim().slice(0, 80) + ".mp3");
    seek.classList.remove("making");
    seek.removeAttribute("title");
    seek.max = String(article.duration || 0);
    seek.disabled = false;
    play.disabled = false;
    shownClock = "";
    if (wasMaking) announce("The audio is ready.");
    const saved = Number(recall(positionKey));
    if (source === "") load("file", saved > 0 && saved < duration() - 1 ? saved : 0, false);
    else if (source === "live" && audio.paused) toFile(audio.currentTime, false);
    if (!panel.hidden) loadWords();
    render();
  }

  function making(found) {
    const progress = found.progress || {};
    const fraction = found.status === "running" && progress.total ? progress.done / progress.total : 0;
    if (root.dataset.state !== "making") {
      root.dataset.state = "making";
      announce("The audio is being made; play starts it as it is made.");
    }
    play.disabled = false;
    seek.classList.add("making");
    seek.style.setProperty("--fill", Math.round(100 * fraction) + "%");
    seek.title = "Being made: " + Math.round(100 * fraction) + " %";
    seek.setAttribute("aria-valuetext", "being made, " + Math.round(100 * fraction) + " %");
    render();
  }

  let failures = 0;
  async function poll() {
    let found;
    try {
      const response = await fetch(selfUrl, { cache: "no-store", headers: { Accept: "application/json" } });
      if (response.status === 404) return showError("This audio was not found.");
      if (response.status === 410) return showError("This audio was withdrawn.");
      if (!response.ok) throw new Error("HTTP " + response.status);
      found = await response.json();
      failures = 0;
    } catch (error) {
      failures += 1;
      if (failures > 10) return showError("Could not reach the audio service.");
      return setTimeout(poll, 2000);
    }
    if (found.status === "done") return ready(found);
    if (found.status === "failed") {
      play.disabled = true;
      if (source === "live") audio.removeAttribute("src");
      return showError("This audio could not be made: " + (found.error || "unknown error"));
    }
    making(found);
    setTimeout(poll, 1000);
  }

  play.addEventListener("click", () => {
    if (!audio.paused) return audio.pause();
    if (source === "") load("live", 0, false);
    start();
  });
  function showMore(open) {
    panel.hidden = !open;
    more.setAttribute("aria-expanded", String(open));
    if (open) loadWords();
  }
  more.addEventListener("click", () => showMore(panel.hidden));
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

  // A click on a word seeks to it, elsewhere in a sentence to the sentence.
  sentencesBox.addEventListener("click", (event) => {
    const target = event.target.closest(".word, .sentence");
    if (target) jump(Number(target.dataset.start), true);
  });
  sentencesBox.addEventListener("keydown", (event) => {
    const target = event.target;
    if ((event.key === "Enter" || event.key === " ") && target.classList.contains("sentence")) {
      event.preventDefault();
      jump(Number(target.dataset.start), true);
    }
  });

  audio.addEventListener("loadedmetadata", () => {
    if (source !== "file") return;
    seek.max = String(duration());
    shownClock = "";
    if (pendingAt !== null && pendingAt > 0) audio.currentTime = Math.min(pendingAt, duration());
    pendingAt = null;
    restored = true;
    render();
  });
  audio.addEventListener("play", () => {
    play.classList.add("playing");
    play.setAttribute("aria-label", "Pause");
    tick();
  });
  audio.addEventListener("pause", () => {
    play.classList.remove("playing");
    play.setAttribute("aria-label", "Play");
    if (source === "live" && article && !audio.ended) toFile(audio.currentTime, false);
    render();
    remember();
  });
  audio.addEventListener("timeupdate", render);
  audio.addEventListener("seeked", () => { render(); remember(); });
  audio.addEventListener("ended", () => {
    store(positionKey, null);
    // The stream ends with the job: the file, from the start, is there to hear again.
    if (source === "live") {
      if (article) toFile(0, false); else source = "";
    }
  });
  audio.addEventListener("ratechange", () => { speed.value = String(audio.playbackRate); });
  audio.addEventListener("error", () => {
    if (root.dataset.state !== "error") showError("The audio could not be loaded.");
  });
  addEventListener("pagehide", remember);

  // Space plays and pauses, arrows step 5 s, unless the focused control needs those keys itself.
  document.addEventListener("keydown", (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    const target = event.target;
    const tag = target.tagName;
    if (event.key === "Escape" && !panel.hidden) {  // back to the one row, focus on More
      showMore(false);
      return more.focus();
    }
    if (play.disabled) return;
    if (event.key === " ") {
      if (/^(BUTTON|SELECT|INPUT|TEXTAREA|A)$/.test(tag) || target.getAttribute("role") === "button") return;
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
