// LTI platform storage (lti.put_data / lti.get_data, IMS "Client Side postMessages"):
// used when the platform offers it, because a cookie-blocking browser keeps no state here.
function relaisStorage(target, origin, subject, fields, done) {
  var frame = target === "_parent" ? window.parent : (window.parent.frames[target] || window.parent);
  var id = "relais-" + Math.random().toString(36).slice(2);
  var finished = false;
  function finish(reply) { if (!finished) { finished = true; done(reply); } }
  window.addEventListener("message", function (event) {
    if (event.origin !== origin || !event.data || event.data.message_id !== id) return;
    finish(event.data);
  });
  var message = Object.assign({subject: subject, message_id: id}, fields);
  try { frame.postMessage(message, origin); } catch (e) { finish(null); }
  setTimeout(function () { finish(null); }, 3000);
}
