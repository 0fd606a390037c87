// Starts Swagger UI on /docs from the app's own files (no CDN, no inline script).
window.onload = function () {
  window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui" });
};
