// Swagger UI for /api/docs/: settings come from data attributes, since the CSP forbids
// inline scripts. Writes made with «Try it out» from a signed-in session carry the CSRF token.
"use strict";

(function () {
  const container = document.getElementById("swagger-ui");
  if (!container || typeof SwaggerUIBundle === "undefined") {
    return;
  }
  const { schemaUrl, csrfCookie, csrfHeader } = container.dataset;

  const readCookie = (name) => {
    for (const part of document.cookie.split(";")) {
      const [key, ...value] = part.trim().split("=");
      if (key === name) {
        return decodeURIComponent(value.join("="));
      }
    }
    return "";
  };

  window.ui = SwaggerUIBundle({
    url: schemaUrl,
    dom_id: "#swagger-ui",
    // Deep links put an <a> inside each operation's summary button: nested controls that
    // screen readers do not announce (axe «nested-interactive»).
    deepLinking: false,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    requestInterceptor: (request) => {
      const method = (request.method || "GET").toUpperCase();
      if (!["GET", "HEAD", "OPTIONS"].includes(method)) {
        request.headers[csrfHeader] = readCookie(csrfCookie);
      }
      return request;
    },
  });
})();
