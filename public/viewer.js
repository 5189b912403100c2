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
