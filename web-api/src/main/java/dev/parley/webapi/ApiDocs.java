package dev.parley.webapi;

import io.javalin.Javalin;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * An API's own documentation: {@code GET /openapi.yaml} (the spec at {@code /public/openapi.yaml} on the service's
 * class path) and {@code GET /docs}, Swagger UI from its webjar (enable webjars on the app), so it works offline.
 */
public final class ApiDocs {
  private static final String SWAGGER = "/webjars/swagger-ui/5.17.14/";

  private ApiDocs() {}

  public static void serve(Javalin app, Class<?> service, String title) {
    String spec;
    try (InputStream in = service.getResourceAsStream("/public/openapi.yaml")) {
      if (in == null) {
        throw new IllegalStateException(service.getName() + " has no /public/openapi.yaml on its class path");
      }
      spec = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    String page = """
        <!doctype html>
        <html lang="en">
        <head>
          <meta charset="utf-8">
          <title>%s</title>
          <link rel="stylesheet" href="%sswagger-ui.css">
        </head>
        <body>
        <div id="swagger-ui"></div>
        <script src="%sswagger-ui-bundle.js"></script>
        <script>
          window.ui = SwaggerUIBundle({ url: "/openapi.yaml", dom_id: "#swagger-ui" });
        </script>
        </body>
        </html>
        """.formatted(title, SWAGGER, SWAGGER);
    app.get("/openapi.yaml", ctx -> ctx.contentType("application/yaml").result(spec));
    app.get("/docs", ctx -> ctx.contentType("text/html").result(page));
  }
}
