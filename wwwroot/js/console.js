// A VM's consoles in the browser: the screen through noVNC, the serial port through xterm.js.
// Both talk to same-origin WebSockets that the dashboard relays to the VM's unix sockets.
// When the VM is down the relay closes with VM_DOWN and says why ("VM stopped"); the pane shows that and tries
// again every RETRY_MS, so it is back within a second of QEMU being back (before the guest is even ready).
import RFB from '../lib/novnc/core/rfb.js';

const VM_DOWN = 4000;
const RETRY_MS = 1000;

function socketUrl(path) {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}${path}`;
}

// Keeps one pane connected: open() makes a WebSocket and hands it to the pane (attach, which calls connected() once
// the console talks); a close with VM_DOWN shows the reason in the pane's status and opens again later. Any other
// close (signed out, the lab removed) ends it.
function keepConnected(element, status, path, attach) {
  const handle = { closed: false, timer: 0, socket: null, detach: null };
  const show = (state, text) => {
    element.dataset.state = state;
    status.textContent = text;
    status.hidden = !text;
  };
  const open = () => {
    if (handle.closed) return;
    // The relay picks "vm-down" when the VM is down (a close with the reason follows), else "binary".
    const socket = new WebSocket(socketUrl(path), ['binary', 'vm-down']);
    socket.binaryType = 'arraybuffer';
    handle.socket = socket;
    socket.addEventListener('close', e => {
      if (handle.closed) return;
      if (e.code === VM_DOWN) {
        // Said once per stop, not once per retry.
        if (element.dataset.state !== 'stopped') handle.onDown?.(e.reason);
        show('stopped', `${e.reason}. Connects again when it is back.`);
        handle.timer = setTimeout(open, RETRY_MS);
      } else {
        show('closed', 'Console closed. Reload the page to connect again.');
      }
    });
    handle.detach = attach(socket, () => show('connected', ''));
  };
  handle.dispose = () => {
    handle.closed = true;
    clearTimeout(handle.timer);
    handle.detach?.();
    handle.socket?.close();
  };
  show('connecting', '');
  open();
  return handle;
}

export function connectScreen(element, status, path) {
  return keepConnected(element, status, path, (socket, connected) => {
    const rfb = new RFB(element, socket);
    rfb.scaleViewport = true;
    rfb.focusOnClick = true;
    // Transparent until the guest's first frame: a retry against a stopped VM then leaves no grey flash.
    rfb.background = 'transparent';
    rfb.addEventListener('connect', () => { connected(); rfb.focus(); });
    return () => rfb.disconnect();
  });
}

export function connectSerial(element, status, path) {
  const term = new window.Terminal({ convertEol: false, fontSize: 14, scrollback: 5000 });
  const fit = new window.FitAddon.FitAddon();
  term.loadAddon(fit);
  term.open(element);
  fit.fit();
  const encoder = new TextEncoder();
  let current = null;
  term.onData(data => { if (current?.readyState === WebSocket.OPEN) current.send(encoder.encode(data)); });
  const onResize = () => fit.fit();
  window.addEventListener('resize', onResize);
  const handle = keepConnected(element, status, path, (socket, connected) => {
    current = socket;
    socket.addEventListener('open', () => { if (socket.protocol === 'binary') { connected(); term.focus(); } });
    socket.addEventListener('message', e => term.write(new Uint8Array(e.data)));
    return null;
  });
  // The terminal keeps what came before; a line marks where the VM went away.
  handle.onDown = reason => term.write(`\r\n[${reason}]\r\n`);
  const dispose = handle.dispose;
  handle.dispose = () => {
    dispose();
    window.removeEventListener('resize', onResize);
    term.dispose();
  };
  return handle;
}

export function disconnect(handle) {
  handle?.dispose();
}
