// The API reference: Swagger UI over the contract the server serves.
window.addEventListener('load', function () {
  window.SwaggerUIBundle({
    url: '/openapi.yaml',
    dom_id: '#swagger-ui',
    deepLinking: true,
    tryItOutEnabled: false,
    persistAuthorization: true,
  });
});
