// Draws the API's OpenAPI document with Swagger UI (served from /static/vendor/, installed from npm by
// scripts/install-assets): no script from anywhere else, as the Content-Security-Policy requires.
(function () {
  var node = document.getElementById("swagger-ui");
  if (!node || typeof window.SwaggerUIBundle !== "function") { return; }
  window.SwaggerUIBundle({
    url: node.getAttribute("data-spec-url"),
    domNode: node,
    deepLinking: true,
    tryItOutEnabled: false,
    persistAuthorization: false
  });
})();
