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

// Shows the twin row (the same packet as the one chosen on another pane) in the middle of the list, and stops
// following the newest rows so it stays there. Rows wrap, so their heights differ: when Virtualize has not rendered
// the twin yet, jump to where its index puts it and center it once it is drawn.
export function reveal(list, index, count) {
    if (!list) return;
    list.dataset.follow = "false";
    const center = () => {
        const twin = list.querySelector(".capture-row.twin");
        if (!twin) return false;
        const offset = twin.getBoundingClientRect().top - list.getBoundingClientRect().top;
        list.scrollTop += offset - (list.clientHeight - twin.offsetHeight) / 2;
        return true;
    };
    if (center()) return;
    list.scrollTop = Math.max(0, list.scrollHeight * index / Math.max(1, count) - list.clientHeight / 2);
    let frames = 0;
    const again = () => { if (!center() && ++frames < 30) requestAnimationFrame(again); };
    requestAnimationFrame(again);
}
