// The topology graph: Cytoscape.js drawing what the server sends. Elements are diffed by id,
// so a node that stays keeps its place; only new nodes take the position the server suggests.
const style = [
  { selector: 'node', style: {
      'label': 'data(label)', 'text-wrap': 'wrap', 'font-size': 13, 'text-valign': 'bottom', 'text-margin-y': 4,
      'color': 'data(fg)', 'width': 34, 'height': 34, 'border-width': 2, 'background-color': '#90a4ae', 'border-color': '#546e7a' } },
  { selector: 'node[kind = "namespace"]', style: {
      'shape': 'round-rectangle', 'background-opacity': 0.06, 'border-style': 'dashed', 'text-valign': 'top',
      'text-halign': 'center', 'text-margin-y': -6, 'font-weight': 'bold', 'padding': 28 } },
  { selector: 'node[kind = "namespace"][state = "nat"]', style: { 'border-color': '#ef6c00', 'border-width': 3 } },
  { selector: 'node[kind = "namespace"][state = "forwarding"]', style: { 'border-color': '#1e88e5', 'border-width': 3 } },
  { selector: 'node[kind = "bridge"]', style: { 'shape': 'round-rectangle', 'width': 70, 'height': 30 } },
  { selector: 'node[kind = "tap"]', style: { 'shape': 'diamond' } },
  { selector: 'node[kind = "vm"]', style: { 'shape': 'round-rectangle', 'width': 60, 'height': 44, 'background-color': '#7e57c2', 'border-color': '#4527a0' } },
  { selector: 'node[kind = "server"]', style: { 'shape': 'barrel', 'background-color': '#26a69a', 'border-color': '#00695c' } },
  { selector: 'node[state = "up"], node[state = "running"]', style: { 'border-color': '#2e7d32', 'background-color': '#66bb6a' } },
  { selector: 'node[state = "nocarrier"], node[state = "starting"]', style: { 'border-color': '#f9a825', 'background-color': '#fff176' } },
  { selector: 'node[state = "down"], node[state = "stopped"]', style: { 'border-color': '#757575', 'background-color': '#e0e0e0' } },
  { selector: 'node[state = "crashed"]', style: { 'border-color': '#b71c1c', 'background-color': '#e57373' } },
  { selector: 'edge', style: { 'width': 2, 'line-color': '#90a4ae', 'curve-style': 'bezier' } },
  { selector: 'edge[kind = "member"]', style: { 'line-color': '#1e88e5', 'target-arrow-shape': 'triangle', 'target-arrow-color': '#1e88e5' } },
  { selector: 'edge[kind = "cable"]', style: { 'line-style': 'dashed', 'width': 3 } },
  { selector: 'edge[kind = "vm"]', style: { 'line-color': '#7e57c2', 'width': 3 } },
  { selector: ':selected', style: { 'overlay-color': '#1e88e5', 'overlay-opacity': 0.25, 'overlay-padding': 6 } },
];

export function create(container, dotnet, foreground) {
  const cy = window.cytoscape({ container, style, elements: [], layout: { name: 'preset' }, wheelSensitivity: 0.3, minZoom: 0.2, maxZoom: 3 });
  const graph = { cy, dotnet, foreground, fitted: false };
  cy.on('tap', 'node, edge', e => dotnet.invokeMethodAsync('OnSelected', e.target.id()));
  cy.on('tap', e => { if (e.target === cy) dotnet.invokeMethodAsync('OnSelected', null); });
  container.__graph = graph;
  return graph;
}

export function update(graph, model) {
  const { cy } = graph;
  const wanted = new Set();
  cy.batch(() => {
    for (const n of model.nodes) {
      wanted.add(n.id);
      const data = { id: n.id, label: n.label, kind: n.kind, state: n.state, fg: graph.foreground };
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
      if (cy.getElementById(e.id).empty()) cy.add({ group: 'edges', data: { id: e.id, source: e.source, target: e.target, kind: e.kind } });
    }
    cy.elements().filter(el => !wanted.has(el.id())).remove();
  });
  if (!graph.fitted && model.nodes.length > 0) {
    cy.fit(undefined, 30);
    graph.fitted = true;
  }
  // For tests and the benchmark: when the graph last changed, and what it holds.
  cy.container().dataset.version = String((Number(cy.container().dataset.version) || 0) + 1);
  cy.container().dataset.nodes = cy.nodes().map(n => n.id()).join(' ');
}

export function select(graph, id) {
  graph.cy.elements().unselect();
  if (id) graph.cy.getElementById(id).select();
}

export function setForeground(graph, color) {
  graph.foreground = color;
  graph.cy.nodes().forEach(n => n.data('fg', color));
}

export function dispose(graph) {
  graph.cy.destroy();
}
