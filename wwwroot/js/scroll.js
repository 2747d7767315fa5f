// Brings an element that just appeared into view (e.g. a trace's result below the fold), moving the page as little as
// possible; scroll-margin-top in app.css keeps it clear of the fixed app bar.
export function reveal(element) {
    element?.scrollIntoView({ block: "nearest" });
}
