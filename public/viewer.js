// The viewer page (/l/{code}): clicking a timestamped comment plays the
// recording from that moment. Without this script the video still plays.
document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-at]");
  const video = document.querySelector("video");
  if (!button || !video) return;
  const at = Number(button.dataset.at);
  if (!Number.isFinite(at)) return;
  video.currentTime = at;
  // On a phone the comments sit below the player; bring it into view.
  video.scrollIntoView({ block: "nearest", behavior: "smooth" });
  // Browsers may refuse to start playing; the seek has happened anyway.
  video.play().catch(() => {});
});

// Tell the sender the recording was opened: only a browser that runs this
// script counts, so link scanners fetching the page do not. The server keeps
// the time; the browser says which zone the recipient is in.
(() => {
  const video = document.querySelector("video[data-opened-url]");
  if (!video) return;
  const now = new Date();
  const pad = (n) => String(n).padStart(2, "0");
  const local =
    `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}` +
    `T${pad(now.getHours())}:${pad(now.getMinutes())}:${pad(now.getSeconds())}`;
  let zone = null;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone || null;
  } catch (_) {}
  fetch(video.dataset.openedUrl, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ local, zone, offset_min: -now.getTimezoneOffset() }),
    keepalive: true,
    credentials: "omit",
  }).catch(() => {});
})();

// Tell the sender how much was watched: the stretches the browser has played
// (video.played, already merged), every 10 s while something new was played
// and once more when the page is hidden or left.
(() => {
  const video = document.querySelector("video[data-watched-url]");
  if (!video) return;
  const url = video.dataset.watchedUrl;
  let sent = "[]";
  const report = (leaving) => {
    const ranges = [];
    for (let i = 0; i < video.played.length; i++) {
      ranges.push([video.played.start(i), video.played.end(i)]);
    }
    const body = JSON.stringify({ ranges });
    if (ranges.length === 0 || body === sent) return;
    sent = body;
    if (leaving && navigator.sendBeacon) {
      navigator.sendBeacon(url, new Blob([body], { type: "application/json" }));
    } else {
      fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
        keepalive: true,
        credentials: "omit",
      }).catch(() => {});
    }
  };
  setInterval(() => report(false), 10_000);
  video.addEventListener("pause", () => report(false));
  video.addEventListener("ended", () => report(false));
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") report(true);
  });
  window.addEventListener("pagehide", () => report(true));
})();
