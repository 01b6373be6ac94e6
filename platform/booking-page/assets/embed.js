/* Atrium booking page embed: resizes the booking page's <iframe> to its content.
   Usage on the tenant's site:
     <iframe src="https://BOOKING-HOST/book/SLUG" title="Book" style="width:100%;border:0" data-atrium-booking></iframe>
     <script src="https://BOOKING-HOST/book/_assets/embed.js" async></script>
   The page posts {type: "atrium-booking:height", height} to its parent; only messages
   from the frame's own origin and window are believed. */
(function () {
  "use strict";
  window.addEventListener("message", function (event) {
    var data = event.data;
    if (!data || data.type !== "atrium-booking:height" || typeof data.height !== "number") return;
    var frames = document.querySelectorAll("iframe[data-atrium-booking]");
    for (var i = 0; i < frames.length; i++) {
      var frame = frames[i];
      var origin;
      try { origin = new URL(frame.src, location.href).origin; } catch (e) { continue; }
      if (frame.contentWindow === event.source && origin === event.origin) {
        frame.style.height = Math.max(200, Math.min(20000, Math.ceil(data.height))) + "px";
      }
    }
  });
})();
