// The socket.io connection the live pages share (candidate page, dashboards). The client
// library is the vendored socket.io.min.js, loaded by the page before its module scripts.
//
// websocket only: every server process can take the connection without sticky sessions.

export const DEFAULTS = Object.freeze({ transports: ["websocket"], reconnectionDelay: 500, reconnectionDelayMax: 4000 });

/** A connection to `namespace` ("/exam", "/monitor") with the shared defaults; `options` add or override. */
export function connect(namespace, options = {}, io = globalThis.io) {
  if (typeof io !== "function") throw new Error("socket.io client (vendor/socket.io.min.js) is not loaded");
  return io(namespace, { ...DEFAULTS, ...options });
}

/** Emit `event` and resolve with the server's acknowledgement; rejects when none comes within `timeoutMs`. */
export function request(socket, event, payload, timeoutMs = 10000) {
  return new Promise((resolve, reject) => {
    socket.timeout(timeoutMs).emit(event, payload, (err, resp) => (err ? reject(err) : resolve(resp)));
  });
}

/** The text to show for a refusal: the server's own words (its `message`, already in the page's
 *  language), else `fallback` (a reply without one: an old server, a proxy's error page). */
export function refusalText(resp, fallback) {
  return (resp && typeof resp.message === "string" && resp.message) || fallback;
}
