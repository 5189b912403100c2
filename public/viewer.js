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
