package io.kiln.agent.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.kiln.agent.spec.DesiredState;
import io.kiln.agent.spec.EndpointValidator;
import io.kiln.agent.spec.Spec;
import io.kiln.agent.spec.SpecException;
import io.kiln.agent.spec.SpecJson;
import io.kiln.agent.spec.SpecKind;
import io.kiln.agent.spec.SpecReader;
import io.kiln.agent.spec.TemplateCatalog;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * The agent's local HTTP API, bound to the loopback address only (never reachable from another
 * host):
 * <pre>
 *   GET    /v1/status                         agent and endpoint status (JSON)
 *   GET    /metrics                           Prometheus text
 *   GET    /v1/{endpoints|policies|services}  every spec in effect, from any source
 *   GET    /v1/{kind}/{id or name}            one spec in effect, with its source
 *   PUT    /v1/{kind}/{id or name}            apply a spec (JSON or YAML body)
 *   DELETE /v1/{kind}/{id or name}            delete a spec applied through the API
 * </pre>
 * A bad spec is refused with 400 and {@code {"error", "field", "line"}}; a spec another source
 * defines cannot be changed here (409). When a token is set, PUT and DELETE need
 * {@code Authorization: Bearer TOKEN}: any local user can reach a loopback port, and changing
 * endpoints is root's business (the agent writes the token to a file only root can read).
 */
public final class ApiServer implements AutoCloseable {
    public static final int DEFAULT_PORT = 9842;
    private static final int MAX_BODY = 1 << 20;
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /**
     * @param port  0 for an ephemeral port (tests)
     * @param token required for PUT and DELETE, or null for none
     */
    public record Options(int port, String token) {
        public Options {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port " + port + " is not in 0..65535");
            }
        }
    }

    private static final String NODELAY = "sun.net.httpserver.nodelay";

    private final Options options;
    private final ApiSource store;
    private final TemplateCatalog catalog;
    private final Supplier<DesiredState> desired;
    private final StatusProvider status;
    private final MetricsProvider metrics;
    private HttpServer server;
    private ExecutorService executor;

    /**
     * @param desired the merged desired state of every source, for GETs and for refusing to shadow another source
     */
    public ApiServer(Options options, ApiSource store, TemplateCatalog catalog, Supplier<DesiredState> desired,
                     StatusProvider status, MetricsProvider metrics) {
        this.options = Objects.requireNonNull(options, "options");
        this.store = Objects.requireNonNull(store, "store");
        this.catalog = Objects.requireNonNull(catalog, "catalog");
        this.desired = Objects.requireNonNull(desired, "desired");
        this.status = Objects.requireNonNull(status, "status");
        this.metrics = Objects.requireNonNull(metrics, "metrics");
    }

    public synchronized void start() {
        // The JDK server writes headers and body apart; with Nagle on, a client's delayed ACK held every
        // answer about 40 ms. Read once by the JDK, before its first server: leave a setting of the user's.
        if (System.getProperty(NODELAY) == null) {
            System.setProperty(NODELAY, "true");
        }
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), options.port()), 16);
        } catch (IOException e) {
            throw new UncheckedIOException("agent API: cannot listen on 127.0.0.1:" + options.port() + ": "
                    + e.getMessage(), e);
        }
        executor = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "kiln-api");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    /** The port listened on (the ephemeral one when started with 0). */
    public int port() {
        return server.getAddress().getPort();
    }

    public URI uri() {
        return URI.create("http://127.0.0.1:" + port());
    }

    private void handle(HttpExchange x) throws IOException {
        try (x) {
            answer(x);
        }
    }

    private void answer(HttpExchange x) throws IOException {
        try {
            String path = x.getRequestURI().getPath();
            String method = x.getRequestMethod();
            if (path.equals("/metrics")) {
                requireMethod(method, "GET");
                send(x, 200, PrometheusText.CONTENT_TYPE, PrometheusText.write(metrics.metrics()));
            } else if (path.equals("/v1/status")) {
                requireMethod(method, "GET");
                sendJson(x, 200, StatusJson.write(status.status()));
            } else if (path.startsWith("/v1/")) {
                specs(x, method, path.substring(4));
            } else {
                throw new HttpError(404, "no such path " + path, null, 0);
            }
        } catch (HttpError e) {
            ObjectNode o = JSON.createObjectNode().put("error", e.getMessage());
            if (e.field != null) {
                o.put("field", e.field).put("line", e.line);
            }
            if (e.allow != null) {
                x.getResponseHeaders().set("Allow", e.allow);
            }
            sendJson(x, e.status, o);
        } catch (RuntimeException e) {
            sendJson(x, 500, JSON.createObjectNode().put("error", "internal error: " + e));
        }
    }

    private void specs(HttpExchange x, String method, String rest) throws IOException {
        String[] parts = rest.split("/", 2);
        SpecKind kind = kind(parts[0]);
        if (parts.length == 1 || parts[1].isEmpty()) {
            requireMethod(method, "GET");
            ArrayNode list = JSON.createArrayNode();
            specsOf(kind).values().forEach(s -> list.add(withSource(s)));
            sendJson(x, 200, list);
            return;
        }
        String key = parts[1];
        switch (method) {
            case "GET" -> {
                Spec s = specsOf(kind).get(key);
                if (s == null) {
                    throw new HttpError(404, "no " + kind.word() + " " + key, null, 0);
                }
                sendJson(x, 200, withSource(s));
            }
            case "PUT" -> {
                authorize(x);
                Spec s = parse(kind, key, body(x));
                Spec other = specsOf(kind).get(key);
                if (other != null && store.get(kind, key).isEmpty()) {
                    throw new HttpError(409, kind.word() + " " + key + " is defined by " + other.origin().name()
                            + "; change it there", null, 0);
                }
                boolean existed = store.get(kind, key).isPresent();
                store.put(s);
                sendJson(x, existed ? 200 : 201, withSource(s));
            }
            case "DELETE" -> {
                authorize(x);
                if (!store.delete(kind, key)) {
                    Spec other = specsOf(kind).get(key);
                    throw other == null ? new HttpError(404, "no " + kind.word() + " " + key, null, 0)
                            : new HttpError(409, kind.word() + " " + key + " is defined by " + other.origin().name()
                            + "; delete it there", null, 0);
                }
                x.sendResponseHeaders(204, -1);
            }
            default -> throw HttpError.method(method, "GET, PUT, DELETE");
        }
    }

    private Spec parse(SpecKind kind, String key, String body) {
        Spec s;
        try {
            s = SpecReader.read(kind, ApiSource.NAME, body);
            if (!s.key().equals(key)) {
                String field = kind == SpecKind.ENDPOINT ? "id" : "name";
                throw s.origin().error(field, "the body's " + field + " " + s.key() + " differs from " + key
                        + " in the path");
            }
            if (s instanceof io.kiln.agent.spec.EndpointSpec e) {
                EndpointValidator.validate(e, catalog);
            }
        } catch (SpecException e) {
            throw new HttpError(400, e.getMessage(), e.field(), e.line());
        }
        return s;
    }

    private Map<String, ? extends Spec> specsOf(SpecKind kind) {
        DesiredState d = desired.get();
        Map<String, Spec> out = new java.util.TreeMap<>();
        switch (kind) {
            case ENDPOINT -> d.endpoints().values().forEach(s -> out.put(s.key(), s));
            case POLICY -> d.policies().values().forEach(s -> out.put(s.key(), s));
            case SERVICE -> d.services().values().forEach(s -> out.put(s.key(), s));
        }
        // applied but not in effect (not yet, or shadowed by another source): still the API's to show
        store.all(kind).forEach(s -> out.putIfAbsent(s.key(), s));
        return out;
    }

    private static ObjectNode withSource(Spec s) {
        ObjectNode o = JSON.createObjectNode();
        o.put("source", s.origin().name());
        o.set("spec", SpecJson.tree(s));
        return o;
    }

    private static SpecKind kind(String segment) {
        for (SpecKind k : SpecKind.values()) {
            if (k.folder().equals(segment)) {
                return k;
            }
        }
        throw new HttpError(404, "no such path /v1/" + segment + "; known: /v1/endpoints, /v1/policies, /v1/services,"
                + " /v1/status", null, 0);
    }

    private void authorize(HttpExchange x) {
        if (options.token() == null) {
            return;
        }
        String h = Optional.ofNullable(x.getRequestHeaders().getFirst("Authorization")).orElse("");
        byte[] given = h.startsWith("Bearer ") ? h.substring(7).getBytes(StandardCharsets.UTF_8) : new byte[0];
        if (!MessageDigest.isEqual(given, options.token().getBytes(StandardCharsets.UTF_8))) {
            throw new HttpError(401, "changing specs needs the agent's token (Authorization: Bearer ...);"
                    + " kiln reads it from the agent's token file, readable by root", null, 0);
        }
    }

    private static void requireMethod(String method, String allowed) {
        if (!method.equals(allowed)) {
            throw HttpError.method(method, allowed);
        }
    }

    private static String body(HttpExchange x) throws IOException {
        try (InputStream in = x.getRequestBody()) {
            byte[] b = in.readNBytes(MAX_BODY + 1);
            if (b.length > MAX_BODY) {
                throw new HttpError(413, "body larger than " + MAX_BODY + " bytes", null, 0);
            }
            return StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(b)).toString();
        } catch (CharacterCodingException e) {
            throw new HttpError(400, "the body is not UTF-8 text", null, 0);
        }
    }

    private static void sendJson(HttpExchange x, int status, Object body) throws IOException {
        send(x, status, "application/json", JSON.writeValueAsString(body) + "\n");
    }

    private static void send(HttpExchange x, int status, String type, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().set("Content-Type", type);
        x.sendResponseHeaders(status, b.length);
        x.getResponseBody().write(b);
    }

    @Override
    public synchronized void close() {
        if (server != null) {
            server.stop(0);
            executor.shutdownNow();
            server = null;
        }
    }

    /** An answer other than 2xx, with the offending field of a refused spec. */
    private static final class HttpError extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final int status;
        final String field;
        final int line;
        String allow;

        HttpError(int status, String message, String field, int line) {
            super(message);
            this.status = status;
            this.field = field;
            this.line = line;
        }

        static HttpError method(String method, String allow) {
            HttpError e = new HttpError(405, "method " + method + " not allowed; allowed: " + allow, null, 0);
            e.allow = allow;
            return e;
        }
    }
}
