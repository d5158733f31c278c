// Copy buttons: <button data-copy="ID"> copies the text of the element #ID; a
// [data-copied="ID"] element says it was done. A file of its own (no inline script), so
// pages can keep a Content-Security-Policy of script-src 'self'.
document.addEventListener("click", async (event) => {
  const button = event.target.closest("button[data-copy]");
  if (!button) return;
  const id = button.dataset.copy;
  const source = document.getElementById(id);
  const status = document.querySelector(`[data-copied="${id}"]`);
  if (!source) return;
  const text = source.textContent.trim();
  let done = false;
  try {
    await navigator.clipboard.writeText(text);
    done = true;
  } catch (_) {
    // no clipboard access (plain http on another host): select it for Ctrl+C instead
    const range = document.createRange();
    range.selectNodeContents(source);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }
  // the page gives the words, in its language (data-done, data-selected)
  if (status) {
    status.textContent = done ? (status.dataset.done || "Copied.")
      : (status.dataset.selected || "Selected: press Ctrl+C to copy.");
  }
});
