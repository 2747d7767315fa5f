// A capture pane follows the newest row while the reader is at the bottom; scrolling up stops that, scrolling
// back to the bottom resumes it. Kept in the browser: no round trip per scroll event.
export function watch(list) {
    list.dataset.follow = "true";
    list.addEventListener("scroll", () => {
        const atBottom = list.scrollTop + list.clientHeight >= list.scrollHeight - 30;
        list.dataset.follow = atBottom ? "true" : "false";
    }, { passive: true });
}

export function follow(list) {
    if (list && list.dataset.follow !== "false") list.scrollTop = list.scrollHeight;
}

// Shows a row (its offset in pixels) in the middle of the list, and stops following the newest rows so it stays there.
export function reveal(list, top) {
    if (!list) return;
    list.dataset.follow = "false";
    list.scrollTop = Math.max(0, top - list.clientHeight / 2);
}
