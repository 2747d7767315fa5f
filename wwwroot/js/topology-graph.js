// The topology graph: Cytoscape.js drawing what the server sends. Elements are diffed by id,
// so a node that stays keeps its place; only new nodes take the position the server suggests.
// Labels keep at least LABEL_PX on screen whatever the zoom, on a backdrop of the page's own colour,
// so they read in both themes.
const LABEL_PX = 13;
const style = [
  { selector: 'node', style: {
      'label': 'data(label)', 'text-wrap': 'wrap', 'font-size': LABEL_PX, 'text-valign': 'bottom', 'text-margin-y': 4,
      'color': 'data(fg)', 'text-background-color': 'data(bg)', 'text-background-opacity': 0.85, 'text-background-padding': 2,
      'text-background-shape': 'roundrectangle',
      'width': 34, 'height': 34, 'border-width': 2, 'background-color': '#90a4ae', 'border-color': '#546e7a' } },
  { selector: 'node[kind = "namespace"]', style: {
      'shape': 'round-rectangle', 'background-opacity': 0.06, 'border-style': 'dashed', 'text-valign': 'top',
      'text-halign': 'center', 'text-margin-y': -6, 'font-weight': 'bold', 'padding': 28 } },
  { selector: 'node[kind = "namespace"][state = "nat"]', style: { 'border-color': '#ef6c00', 'border-width': 3 } },
  { selector: 'node[kind = "namespace"][state = "forwarding"]', style: { 'border-color': '#1e88e5', 'border-width': 3 } },
  { selector: 'node[kind = "bridge"]', style: { 'shape': 'round-rectangle', 'width': 70, 'height': 30 } },
  { selector: 'node[kind = "tap"]', style: { 'shape': 'diamond' } },
  { selector: 'node[kind = "vm"]', style: { 'shape': 'round-rectangle', 'width': 60, 'height': 44, 'background-color': '#7e57c2', 'border-color': '#4527a0' } },
  { selector: 'node[kind = "server"]', style: { 'shape': 'barrel', 'background-color': '#26a69a', 'border-color': '#00695c' } },
  { selector: 'node[kind = "router"]', style: { 'shape': 'ellipse', 'width': 46, 'height': 46, 'background-color': '#ffb74d', 'border-color': '#e65100', 'border-width': 3 } },
  { selector: 'node[kind = "router"][state = "off"]', style: { 'background-color': '#e0e0e0', 'border-color': '#757575' } },
  { selector: 'node[state = "up"], node[state = "running"]', style: { 'border-color': '#2e7d32', 'background-color': '#66bb6a' } },
  { selector: 'node[state = "nocarrier"], node[state = "starting"]', style: { 'border-color': '#f9a825', 'background-color': '#fff176' } },
  { selector: 'node[state = "down"], node[state = "stopped"]', style: { 'border-color': '#757575', 'background-color': '#e0e0e0' } },
  { selector: 'node[state = "crashed"]', style: { 'border-color': '#b71c1c', 'background-color': '#e57373' } },
  { selector: 'edge', style: { 'width': 2, 'line-color': '#90a4ae', 'curve-style': 'bezier' } },
  { selector: 'edge[rate]', style: { 'label': 'data(rate)', 'font-size': 11, 'color': 'data(fg)', 'text-background-color': 'data(bg)',
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

// A label's size in graph units, so that zoomed out it still has LABEL_PX on screen.
function fitLabels(cy) {
  const size = LABEL_PX / Math.min(cy.zoom(), 1);
  cy.style().selector('node').style('font-size', size).update();
}

export function create(container, dotnet, foreground, background, consoleBase) {
  const cy = window.cytoscape({ container, style, elements: [], layout: { name: 'preset' }, wheelSensitivity: 0.3, minZoom: 0.2, maxZoom: 3 });
  const graph = { cy, dotnet, foreground, background, consoleBase, count: 0 };
  cy.on('tap', 'node, edge', e => dotnet.invokeMethodAsync('OnSelected', e.target.id()));
  cy.on('tap', e => { if (e.target === cy) dotnet.invokeMethodAsync('OnSelected', null); });
  // Double-click a VM: its console in a new tab, as GNS3 does.
  cy.on('dbltap', 'node[kind = "vm"]', e => openConsole(graph, e.target.id()));
  cy.on('zoom', () => fitLabels(cy));
  // Keyboard: arrows step through the elements in reading order, Enter on a VM opens its console.
  container.addEventListener('keydown', e => onKey(graph, e));
  new ResizeObserver(() => { cy.resize(); cy.fit(undefined, 45); }).observe(container);
  container.__graph = graph;
  return graph;
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
      const data = { id: n.id, label: n.label, baseLabel: n.label, kind: n.kind, state: n.state, fg: graph.foreground, bg: graph.background };
      if (n.parent) data.parent = n.parent;
      const existing = cy.getElementById(n.id);
      if (existing.nonempty()) {
        existing.data(data);
        if ((existing.data('parent') || null) !== (n.parent || null)) existing.move({ parent: n.parent || null });
      } else {
        cy.add({ group: 'nodes', data, position: { x: n.x, y: n.y } });
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
  // The graph fits its panel, and fits again when elements come or go.
  if (cy.nodes().length !== graph.count) {
    graph.count = cy.nodes().length;
    cy.fit(undefined, 45);
  }
  fitLabels(cy);
  // The labels came back from the model: write the journey's and the rates on them again.
  if (graph.journey) journey(graph, graph.journey);
  if (graph.rates) rates(graph, graph.rates);
  // For tests and the benchmark: when the graph last changed, and what it holds.
  cy.container().dataset.version = String((Number(cy.container().dataset.version) || 0) + 1);
  cy.container().dataset.nodes = cy.nodes().map(n => n.id()).join(' ');
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
  cy.container().dataset.journey = (steps || []).map(s => s.elementId).join(' ');
}

// Live packets per second on the edges (from interface counters), by edge id; an edge not named shows none.
export function rates(graph, labels) {
  graph.rates = labels || {};
  graph.cy.batch(() => graph.cy.edges().forEach(edge => {
    const rate = graph.rates[edge.id()];
    if (rate) edge.data({ rate, fg: graph.foreground, bg: graph.background });
    else edge.removeData('rate');
  }));
  // For tests: the edges that show a rate, as "id=label;…".
  graph.cy.container().dataset.rates = Object.entries(graph.rates).map(([id, label]) => `${id}=${label}`).join(';');
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
