// The topology graph: Cytoscape.js drawing what the server sends. Elements are diffed by id. The server gives each
// node a cell of a grid (column, row: VMs, taps, bridges, router and uplinks, the wan and the PC); this module turns
// the grid into positions from the measured size of every node with its label, so no label runs into another, and
// fits the whole graph, labels included, into the panel. Labels keep LABEL_PX on screen: when the graph has to be
// zoomed out to fit, labels, gaps and paddings grow by as much and the grid is measured again.
const LABEL_PX = 13;
const GAP_PX = 18;   // between two cells, on screen
const PAD_PX = 12;   // inside a namespace box
const WRAP_PX = 150; // a longer label line wraps at a space
const FIT_PX = 10;   // between the graph and the panel's edge
const MAX_ZOOM = 1.5; // a small lab is not blown up to giant labels
const style = [
  { selector: 'node', style: {
      'label': 'data(label)', 'text-wrap': 'wrap', 'font-size': LABEL_PX, 'text-max-width': WRAP_PX, 'text-valign': 'bottom', 'text-margin-y': 4,
      'color': 'data(fg)', 'text-background-color': 'data(bg)', 'text-background-opacity': 0.85, 'text-background-padding': 2,
      'text-background-shape': 'roundrectangle',
      'width': 34, 'height': 34, 'border-width': 2, 'background-color': '#90a4ae', 'border-color': '#546e7a' } },
  { selector: 'node[kind = "namespace"]', style: {
      'shape': 'round-rectangle', 'background-opacity': 0.06, 'border-style': 'dashed', 'text-valign': 'top',
      'text-halign': 'center', 'text-margin-y': -6, 'font-weight': 'bold', 'padding': PAD_PX, 'text-max-width': 'data(wrap)' } },
  { selector: 'node[kind = "namespace"][state = "nat"]', style: { 'border-color': '#ef6c00', 'border-width': 3 } },
  { selector: 'node[kind = "namespace"][state = "forwarding"]', style: { 'border-color': '#1e88e5', 'border-width': 3 } },
  // A namespace of a large host, drawn as one box until it is opened.
  { selector: 'node[kind = "group"]', style: { 'shape': 'round-rectangle', 'width': 80, 'height': 36, 'border-style': 'dashed',
      'background-color': '#eceff1', 'border-color': '#546e7a' } },
  { selector: 'node[kind = "group"][state = "forwarding"]', style: { 'border-color': '#1e88e5', 'border-width': 3 } },
  { selector: 'node[kind = "bridge"]', style: { 'shape': 'round-rectangle', 'width': 70, 'height': 30 } },
  { selector: 'node[kind = "tap"]', style: { 'shape': 'diamond' } },
  // A VM's label sits at its left, so VMs stack tightly in their column.
  { selector: 'node[kind = "vm"]', style: { 'shape': 'round-rectangle', 'width': 60, 'height': 44, 'background-color': '#7e57c2', 'border-color': '#4527a0',
      'text-halign': 'left', 'text-valign': 'center', 'text-margin-x': -6, 'text-margin-y': 0, 'text-justification': 'right' } },
  { selector: 'node[kind = "server"]', style: { 'shape': 'barrel', 'background-color': '#26a69a', 'border-color': '#00695c' } },
  { selector: 'node[kind = "router"]', style: { 'shape': 'ellipse', 'width': 46, 'height': 46, 'background-color': '#ffb74d', 'border-color': '#e65100', 'border-width': 3 } },
  { selector: 'node[kind = "router"][state = "off"]', style: { 'background-color': '#e0e0e0', 'border-color': '#757575' } },
  { selector: 'node[state = "up"], node[state = "running"]', style: { 'border-color': '#2e7d32', 'background-color': '#66bb6a' } },
  { selector: 'node[state = "nocarrier"], node[state = "starting"]', style: { 'border-color': '#f9a825', 'background-color': '#fff176' } },
  { selector: 'node[state = "down"], node[state = "stopped"]', style: { 'border-color': '#757575', 'background-color': '#e0e0e0' } },
  { selector: 'node[state = "crashed"]', style: { 'border-color': '#b71c1c', 'background-color': '#e57373' } },
  { selector: 'edge', style: { 'width': 2, 'line-color': '#90a4ae', 'curve-style': 'bezier' } },
  { selector: 'edge[rate]', style: { 'label': 'data(rate)', 'font-size': LABEL_PX, 'color': 'data(fg)', 'text-background-color': 'data(bg)',
      'text-background-opacity': 0.85, 'text-background-padding': 1, 'text-rotation': 'none' } },
  { selector: 'edge[kind = "route"]', style: { 'line-color': '#ef6c00', 'width': 3 } },
  { selector: 'edge[kind = "member"]', style: { 'line-color': '#1e88e5', 'target-arrow-shape': 'triangle', 'target-arrow-color': '#1e88e5' } },
  { selector: 'edge[kind = "cable"]', style: { 'line-style': 'dashed', 'width': 3 } },
  { selector: 'edge[kind = "vm"]', style: { 'line-color': '#7e57c2', 'width': 3 } },
  { selector: 'edge[state = "down"]', style: { 'line-color': '#bdbdbd', 'line-style': 'dotted', 'target-arrow-color': '#bdbdbd' } },
  { selector: ':selected', style: { 'overlay-color': '#1e88e5', 'overlay-opacity': 0.25, 'overlay-padding': 6 } },
  // A packet's journey (a trace, or the row selected in the captures): lit in magenta, in order.
  { selector: 'node.journey', style: { 'border-color': '#d81b60', 'border-width': 5, 'font-weight': 'bold' } },
  { selector: 'edge.journey', style: { 'line-color': '#d81b60', 'width': 5, 'line-style': 'solid', 'target-arrow-color': '#d81b60', 'z-index': 9 } },
];

// Labels, their wrapping width and the boxes' padding at `scale` times their on-screen size, in graph units.
function setScale(graph, scale) {
  graph.scale = scale;
  graph.cy.style()
    .selector('node').style({ 'font-size': LABEL_PX * scale, 'text-max-width': WRAP_PX * scale })
    .selector('node[kind = "namespace"]').style({ 'padding': PAD_PX * scale, 'text-max-width': 'data(wrap)' })
    .selector('edge[rate]').style({ 'font-size': LABEL_PX * scale })
    .update();
}

const OWN = { includeOverlays: false, includeUnderlays: false, includeOutlines: false };
const LABEL_ONLY = { ...OWN, includeNodes: false, includeEdges: false, includeLabels: true };

// How far a node with its label reaches from its position.
function reach(node) {
  const b = node.boundingBox(OWN), p = node.position();
  return { l: p.x - b.x1, r: b.x2 - p.x, t: p.y - b.y1, b: b.y2 - p.y };
}

// Columns left to right, each as wide as its widest node and label; rows top to bottom, each as low as the lowest
// node above it in any column needs (a tall label pushes down only what lies below it). Crossing a namespace box's
// edge adds its padding, entering a box from above also its label.
function place(graph) {
  const { cy, scale } = graph;
  const gap = GAP_PX * scale, pad = PAD_PX * scale;
  const cells = cy.nodes('[kind != "namespace"]').map(n => ({ n, col: n.data('col'), row: n.data('row'), parent: n.data('parent') || null, ...reach(n) }));
  const sorted = values => [...new Set(values)].sort((a, b) => a - b);
  const colX = new Map();
  let x = 0, before = null;
  for (const col of sorted(cells.map(c => c.col))) {
    const here = cells.filter(c => c.col === col);
    const parents = new Set(here.map(c => c.parent));
    const left = Math.max(...here.map(c => c.l)), right = Math.max(...here.map(c => c.r));
    if (before) {
      const leaves = [...before.parents].some(p => p && !parents.has(p)), enters = [...parents].some(p => p && !before.parents.has(p));
      x += before.right + gap + (leaves ? pad : 0) + (enters ? pad : 0) + left;
    }
    colX.set(col, x);
    before = { parents, right };
  }
  const labelHeight = id => cy.getElementById(id).boundingBox(LABEL_ONLY).h;
  const lowest = new Map();
  const rowY = new Map();
  let y = 0;
  for (const row of sorted(cells.map(c => c.row))) {
    const here = cells.filter(c => c.row === row);
    let at = rowY.size ? y + 1 : 0;
    for (const c of here) {
      const above = lowest.get(c.col);
      if (!above) continue;
      const crossing = above.parent === c.parent ? 0 : (above.parent ? pad : 0) + (c.parent ? pad + labelHeight(c.parent) : 0);
      at = Math.max(at, above.y + above.b + gap + crossing + c.t);
    }
    y = at;
    rowY.set(row, y);
    for (const c of here) lowest.set(c.col, { y, b: c.b, parent: c.parent });
  }
  cy.batch(() => cells.forEach(c => c.n.position({ x: colX.get(c.col), y: rowY.get(c.row) })));
  // A box's label wraps within the box, so it never reaches over a neighbour's.
  cy.nodes('[kind = "namespace"]').forEach(ns => ns.data('wrap', Math.max(ns.boundingBox({ ...OWN, includeLabels: false }).w, WRAP_PX * scale)));
}

// Lays the graph out and fits it, growing labels until they have LABEL_PX on screen (a few rounds: each fit zooms out less).
function arrange(graph) {
  const { cy } = graph;
  const box = cy.container();
  if (cy.nodes().empty() || box.clientWidth === 0 || box.clientHeight === 0) return;
  graph.arranging = true;
  try {
    let scale = 1;
    for (let round = 0; round < 8; round++) {
      setScale(graph, scale);
      place(graph);
      cy.fit(undefined, FIT_PX);
      if (cy.zoom() * scale >= 0.97) break;
      scale = 1 / cy.zoom();
    }
    if (cy.zoom() > MAX_ZOOM) {
      cy.zoom(MAX_ZOOM);
      cy.center();
    }
  } finally {
    graph.arranging = false;
  }
  showRates(graph);
}

// Someone zoomed: labels keep at least LABEL_PX on screen (they do not move, so zoomed far out they may meet).
function onZoom(graph) {
  if (!graph.arranging) setScale(graph, Math.max(graph.layoutScale ?? 1, 1 / graph.cy.zoom()));
}

export function create(container, dotnet, foreground, background, consoleBase) {
  const cy = window.cytoscape({ container, style, elements: [], layout: { name: 'preset' }, minZoom: 0.2, maxZoom: 3 });
  const graph = { cy, dotnet, foreground, background, consoleBase, scale: 1, signature: '' };
  cy.on('tap', 'node, edge', e => dotnet.invokeMethodAsync('OnSelected', e.target.id()));
  cy.on('tap', e => { if (e.target === cy) dotnet.invokeMethodAsync('OnSelected', null); });
  // Double-click a VM: its console in a new tab, as GNS3 does.
  cy.on('dbltap', 'node[kind = "vm"]', e => openConsole(graph, e.target.id()));
  cy.on('zoom', () => onZoom(graph));
  // Keyboard: arrows step through the elements in reading order, Enter on a VM opens its console.
  container.addEventListener('keydown', e => onKey(graph, e));
  new ResizeObserver(() => { cy.resize(); relayout(graph); }).observe(container);
  container.__graph = graph;
  return graph;
}

function relayout(graph) {
  arrange(graph);
  graph.layoutScale = graph.scale;
  graph.cy.container().dataset.layout = String((Number(graph.cy.container().dataset.layout) || 0) + 1);
}

function openConsole(graph, id) {
  if (id.startsWith('vm:')) window.open(`${graph.consoleBase}/${encodeURIComponent(id.slice(3))}/console`, '_blank');
}

function onKey(graph, e) {
  const { cy } = graph;
  const order = cy.nodes().filter(n => n.data('kind') !== 'namespace')
    .sort((a, b) => a.position('y') - b.position('y') || a.position('x') - b.position('x'));
  if (order.length === 0) return;
  const current = cy.$(':selected').first();
  const at = current.nonempty() ? order.indexOf(current) : -1;
  let next = null;
  if (e.key === 'ArrowRight' || e.key === 'ArrowDown') next = order[(at + 1) % order.length];
  else if (e.key === 'ArrowLeft' || e.key === 'ArrowUp') next = order[(at - 1 + order.length) % order.length];
  else if (e.key === 'Escape') { graph.dotnet.invokeMethodAsync('OnSelected', null); e.preventDefault(); return; }
  else if (e.key === 'Enter' && current.nonempty()) { openConsole(graph, current.id()); e.preventDefault(); return; }
  if (next) {
    e.preventDefault();
    graph.dotnet.invokeMethodAsync('OnSelected', next.id());
  }
}

export function update(graph, model) {
  const { cy } = graph;
  const wanted = new Set();
  cy.batch(() => {
    for (const n of model.nodes) {
      wanted.add(n.id);
      const data = { id: n.id, label: n.label, baseLabel: n.label, kind: n.kind, state: n.state, col: n.x, row: n.y, fg: graph.foreground, bg: graph.background };
      if (n.kind === 'namespace') data.wrap = WRAP_PX;
      if (n.parent) data.parent = n.parent;
      const existing = cy.getElementById(n.id);
      if (existing.nonempty()) {
        existing.data(data);
        if ((existing.data('parent') || null) !== (n.parent || null)) existing.move({ parent: n.parent || null });
      } else {
        cy.add({ group: 'nodes', data });
      }
    }
    for (const e of model.edges) {
      wanted.add(e.id);
      const existing = cy.getElementById(e.id);
      if (existing.empty()) cy.add({ group: 'edges', data: { id: e.id, source: e.source, target: e.target, kind: e.kind, state: e.state } });
      else existing.data('state', e.state);
    }
    cy.elements().filter(el => !wanted.has(el.id())).remove();
  });
  // The labels came back from the model: write the journey's and the rates on them again.
  if (graph.journey) journey(graph, graph.journey);
  else relayoutIfChanged(graph);
  if (graph.rates) rates(graph, graph.rates);
  // For tests and the benchmark: when the graph last changed, and what it holds.
  cy.container().dataset.version = String((Number(cy.container().dataset.version) || 0) + 1);
  cy.container().dataset.nodes = cy.nodes().map(n => n.id()).join(' ');
}

// Lays out again when a node came, went, moved cell or changed its label; else everything stays where it is.
function relayoutIfChanged(graph) {
  const signature = graph.cy.nodes().map(n => `${n.id()}@${n.data('col')},${n.data('row')}:${n.data('label')}`).join('|');
  if (signature === graph.signature) return;
  graph.signature = signature;
  relayout(graph);
}

export function select(graph, id) {
  graph.cy.elements().unselect();
  if (id) graph.cy.getElementById(id).select();
}

// Lights a journey: each step's element gets the journey class and its label ("2. +0.021 ms"), and so does the edge
// between two consecutive steps. An empty list clears it.
export function journey(graph, steps) {
  const { cy } = graph;
  graph.journey = steps && steps.length ? steps : null;
  cy.batch(() => {
    cy.elements('.journey').forEach(el => {
      el.removeClass('journey');
      if (el.isNode()) el.data('label', el.data('baseLabel'));
    });
    (steps || []).forEach((step, i) => {
      const el = cy.getElementById(step.elementId);
      if (el.empty()) return;
      el.addClass('journey');
      el.data('label', `${el.data('baseLabel')}\n${i + 1}. ${step.label}`);
      const next = steps[i + 1] && cy.getElementById(steps[i + 1].elementId);
      if (next && next.nonempty()) el.edgesWith(next).addClass('journey');
    });
  });
  relayoutIfChanged(graph);
  cy.container().dataset.journey = (steps || []).map(s => s.elementId).join(' ');
}

// Live packets per second on the edges (from interface counters), by edge id; an edge not named shows none.
export function rates(graph, labels) {
  graph.rates = labels || {};
  showRates(graph);
  // For tests: the edges that show a rate, as "id=label;…".
  graph.cy.container().dataset.rates = Object.entries(graph.rates).map(([id, label]) => `${id}=${label}`).join(';');
}

// Writes each edge's rate at its middle, unless it would cover a node, a label or another rate there: then that
// edge shows none (the inspector and the captures still say it).
function showRates(graph) {
  const { cy } = graph;
  const rates = graph.rates || {};
  const taken = cy.nodes().map(n => n.boundingBox(n.isParent() ? LABEL_ONLY : OWN));
  const meets = (a, b) => a.x1 < b.x2 && b.x1 < a.x2 && a.y1 < b.y2 && b.y1 < a.y2;
  cy.batch(() => cy.edges().forEach(edge => {
    if (rates[edge.id()]) edge.data({ rate: rates[edge.id()], fg: graph.foreground, bg: graph.background });
    else edge.removeData('rate');
  }));
  cy.edges('[rate]').forEach(edge => {
    const box = edge.boundingBox(LABEL_ONLY);
    if (taken.some(t => meets(t, box))) edge.removeData('rate');
    else taken.push(box);
  });
}

export function setColors(graph, foreground, background) {
  graph.foreground = foreground;
  graph.background = background;
  graph.cy.nodes().forEach(n => n.data({ fg: foreground, bg: background }));
  graph.cy.edges('[rate]').forEach(e => e.data({ fg: foreground, bg: background }));
}

export function dispose(graph) {
  graph.cy.destroy();
}
