// Starts Scalar's API reference on /docs (docs/openapi.md). Everything it needs is served by this origin:
// no web fonts (system fonts instead of fonts.scalar.com), no request proxy (try-it calls this API directly,
// same origin), no MCP or agent features.
/* global Scalar */
Scalar.createApiReference('#app', {
  url: '/openapi.json',
  withDefaultFonts: false,
  // No hosted-service toolbar (SDK generation, deploy, share): they link to scalar.com.
  showDeveloperTools: 'never',
  hideClientButton: false,
  mcp: { disabled: true },
  agent: { disabled: true },
  telemetry: false,
  authentication: { preferredSecurityScheme: 'bearerAuth' },
  metaData: { title: 'StackPay API reference' },
});
