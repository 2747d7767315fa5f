// A VM's consoles in the browser: the screen through noVNC, the serial port through xterm.js.
// Both talk to same-origin WebSockets that the dashboard relays to the VM's unix sockets.
import RFB from '../lib/novnc/core/rfb.js';

function socketUrl(path) {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}${path}`;
}

export function connectScreen(element, path) {
  const rfb = new RFB(element, socketUrl(path));
  rfb.scaleViewport = true;
  rfb.focusOnClick = true;
  element.dataset.state = 'connecting';
  rfb.addEventListener('connect', () => { element.dataset.state = 'connected'; rfb.focus(); });
  rfb.addEventListener('disconnect', e => { element.dataset.state = e.detail.clean ? 'closed' : 'failed'; });
  return rfb;
}

export function connectSerial(element, path) {
  const term = new window.Terminal({ convertEol: false, fontSize: 14, scrollback: 5000 });
  const fit = new window.FitAddon.FitAddon();
  term.loadAddon(fit);
  term.open(element);
  fit.fit();
  const socket = new WebSocket(socketUrl(path));
  socket.binaryType = 'arraybuffer';
  element.dataset.state = 'connecting';
  socket.onopen = () => { element.dataset.state = 'connected'; term.focus(); };
  socket.onclose = () => { element.dataset.state = 'closed'; term.write('\r\n[serial console closed]\r\n'); };
  socket.onmessage = e => term.write(new Uint8Array(e.data));
  const encoder = new TextEncoder();
  term.onData(data => { if (socket.readyState === WebSocket.OPEN) socket.send(encoder.encode(data)); });
  window.addEventListener('resize', () => fit.fit());
  return { term, socket };
}

export function disconnect(handle) {
  if (!handle) return;
  if (handle.disconnect) handle.disconnect();
  if (handle.socket) handle.socket.close();
  if (handle.term) handle.term.dispose();
}
