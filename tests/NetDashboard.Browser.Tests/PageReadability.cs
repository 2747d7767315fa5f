using Microsoft.Playwright;

namespace NetDashboard.Browser.Tests;

/// <summary>
/// Can a person read every piece of text on the page as it is laid out now? Measured in the page, on every visible
/// text node (each line of it), against the boxes of the elements that clip it:
/// <list type="bullet">
/// <item>clipped: text cut by an element whose overflow is hidden or clip, across (a row that runs out of its pane, an
/// ellipsis) or down (a row cut off). A deliberate ellipsis is accepted only where the cut element, or one between it and
/// the text, has a title holding the whole text (a journal row shows its full line on hover);</item>
/// <item>out of sight sideways: text beyond the left or right edge of a scrolling element (a button pushed out of a
/// panel that scrolls down, a hex dump wider than its pane). Scrolling down to read is expected, scrolling sideways only
/// where it is meant: in an element with the class <c>scroll-x</c>;</item>
/// <item>off screen: visible text that starts left of the viewport or runs past its right edge;</item>
/// <item>overlap: two text fragments of different elements that overlap by more than 2 px both across and down
/// (a label on a label);</item>
/// <item>run together: words of two boxes (cells, flex items, badges) on one line less than 2 px apart, which read as one
/// word ("protocoloriginal").</item>
/// </list>
/// Text drawn on a canvas (the Cytoscape graph, the VNC screen) is not in the DOM and is not measured here.
/// </summary>
public static class PageReadability
{
    /// <summary>Every violation on the page, each naming its element (tag, classes, test id, text) and its box.</summary>
    public static async Task<IReadOnlyList<string>> ViolationsAsync(IPage page) => await page.EvaluateAsync<string[]>(Script);

    /// <summary>Pairs of graph nodes whose boxes with their labels overlap (a label on a label on the canvas).</summary>
    public static async Task<string[]> GraphLabelOverlapsAsync(IPage page) => await page.EvaluateAsync<string[]>($$"""
        () => {
          const cy = document.querySelector('[data-testid=topology-graph]').__graph.cy;
          // A box's label alone (its box holds the others); every other node with its label.
          const nodes = cy.nodes().map(n => ({ id: n.id(), b: n.data('kind') === 'namespace'
            ? n.boundingBox({ includeNodes: false, includeEdges: false, includeLabels: true }) : n.boundingBox({ includeLabels: true }) }));
          const out = [];
          for (let i = 0; i < nodes.length; i++)
            for (let j = i + 1; j < nodes.length; j++) {
              const a = nodes[i].b, b = nodes[j].b;
              if (a.x1 < b.x2 - 2 && b.x1 < a.x2 - 2 && a.y1 < b.y2 - 2 && b.y1 < a.y2 - 2) out.push(`${nodes[i].id} over ${nodes[j].id}`);
            }
          return out;
        }
        """);

    private const string Script = """
        () => {
          const viewport = document.documentElement.clientWidth;
          const norm = s => s.replace(/\s+/g, ' ').trim();
          const box = r => `${Math.round(r.left)},${Math.round(r.top)} ${Math.round(r.right - r.left)}×${Math.round(r.bottom - r.top)}`;
          const name = e => e.tagName.toLowerCase() + [...e.classList].slice(0, 3).map(c => '.' + c).join('')
            + (e.dataset?.testid ? `[${e.dataset.testid}]` : '');
          const unseen = e => {
            for (; e; e = e.parentElement) {
              const s = getComputedStyle(e);
              if (s.display === 'none' || s.visibility !== 'visible' || parseFloat(s.opacity) === 0) return true;
            }
            return false;
          };
          const titled = (from, upTo, text) => {
            for (let e = from; e; e = e.parentElement) {
              const title = e.getAttribute('title');
              if (title && norm(title).includes(text)) return true;
              if (e === upTo) return false;
            }
            return false;
          };
          // The box a text sits in: its nearest element that is not inline (a cell, a flex item, a badge).
          const boxOf = e => {
            for (; e.parentElement && getComputedStyle(e).display === 'inline'; e = e.parentElement);
            return e;
          };
          const skip = new Set(['SCRIPT', 'STYLE', 'NOSCRIPT', 'TEMPLATE', 'TITLE', 'OPTION']);
          const problems = [];
          const fragments = [];
          const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
          for (let node; (node = walker.nextNode());) {
            const text = norm(node.textContent);
            const el = node.parentElement;
            if (!text || !el || skip.has(el.tagName)) continue;
            const range = document.createRange();
            range.selectNodeContents(node);
            const rects = [...range.getClientRects()].filter(r => r.width > 0.5 && r.height > 0.5);
            if (rects.length === 0 || unseen(el)) continue;
            // The elements that clip this text: their inner (client) boxes.
            const clips = [];
            for (let e = el; e && e !== document.documentElement; e = e.parentElement) {
              const s = getComputedStyle(e);
              if (s.overflowX === 'visible' && s.overflowY === 'visible') continue;
              const r = e.getBoundingClientRect();
              const left = r.left + e.clientLeft, top = r.top + e.clientTop;
              clips.push({ e, left, top, right: left + e.clientWidth, bottom: top + e.clientHeight,
                cutsX: s.overflowX === 'hidden' || s.overflowX === 'clip', cutsY: s.overflowY === 'hidden' || s.overflowY === 'clip',
                clipsX: s.overflowX !== 'visible', clipsY: s.overflowY !== 'visible' });
            }
            const label = `${name(el)} "${text.slice(0, 70)}"`;
            let reported = false;
            for (const r of rects) {
              // What of this line is on the page at all (a row scrolled out of its list is not).
              const seen = { left: r.left, top: r.top, right: r.right, bottom: r.bottom };
              for (const c of clips) {
                if (c.clipsX) { seen.left = Math.max(seen.left, c.left); seen.right = Math.min(seen.right, c.right); }
                if (c.clipsY) { seen.top = Math.max(seen.top, c.top); seen.bottom = Math.min(seen.bottom, c.bottom); }
              }
              const visible = seen.right - seen.left >= 1 && seen.bottom - seen.top >= 1;
              if (visible) fragments.push({ el, box: boxOf(el), label, r: seen });
              if (reported) continue;
              for (const c of clips) {
                // A 1 px box is the visually-hidden pattern: text for screen readers only.
                if (c.right - c.left <= 1 || c.bottom - c.top <= 1) continue;
                const beyondX = r.right > c.right + 1 || r.left < c.left - 1;
                const beyondY = r.bottom > c.bottom + 1 || r.top < c.top - 1;
                // Sideways, text on the element's own lines counts even when all of it is pushed out (a button past
                // the edge); down, only a line cut partway (a collapsed panel hides all of its text on purpose).
                const onItsLines = r.bottom > c.top && r.top < c.bottom;
                const sideways = c.clipsX && !c.cutsX && !c.e.classList.contains('scroll-x');
                const problem = (c.cutsX || sideways) && beyondX && onItsLines ? (sideways ? 'out of sight sideways' : 'clipped across')
                  : c.cutsY && beyondY && visible ? 'clipped down' : null;
                if (problem && !titled(el, c.e, text)) {
                  problems.push(`${problem}: ${label} ${box(r)} inside ${name(c.e)} ${box(c)}`);
                  reported = true;
                  break;
                }
              }
              if (!reported && visible && (seen.left < -0.5 || seen.right > viewport + 0.5)) {
                problems.push(`off screen: ${label} ${box(seen)} (viewport 0–${viewport})`);
                reported = true;
              }
            }
          }
          fragments.sort((a, b) => a.r.top - b.r.top);
          for (let i = 0; i < fragments.length; i++) {
            const a = fragments[i];
            for (let j = i + 1; j < fragments.length && fragments[j].r.top < a.r.bottom - 2; j++) {
              const b = fragments[j];
              if (a.el === b.el) continue;
              const x = Math.min(a.r.right, b.r.right) - Math.max(a.r.left, b.r.left);
              const y = Math.min(a.r.bottom, b.r.bottom) - Math.max(a.r.top, b.r.top);
              if (x > 2 && y > 2) problems.push(`overlap: ${a.label} ${box(a.r)} and ${b.label} ${box(b.r)}`);
              // Two boxes' words on one line with no gap read as one word ("protocoloriginal"). Not in a terminal:
              // its line is a grid of cells that xterm splits into spans (the cursor's cell is one), one word by design.
              else if (a.box !== b.box && !(a.el.closest('.xterm-rows') && b.el.closest('.xterm-rows'))
                       && x > -2 && y > Math.min(a.r.bottom - a.r.top, b.r.bottom - b.r.top) / 2)
                problems.push(`run together: ${a.label} ${box(a.r)} and ${b.label} ${box(b.r)}`);
            }
          }
          return problems;
        }
        """;
}
