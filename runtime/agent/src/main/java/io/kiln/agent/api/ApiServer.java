package io.kiln.agent.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kiln.agent.spec.DesiredState;
import io.kiln.agent.spec.EndpointValidator;
import io.kiln.agent.spec.Spec;
import io.kiln.agent.spec.SpecException;
import io.kiln.agent.spec.SpecJson;
import io.kiln.agent.spec.SpecKind;
import io.kiln.agent.spec.SpecReader;
import io.kiln.agent.spec.TemplateCatalog;

import io.prometheus.metrics.expositionformats.ExpositionFormatWriter;
import io.prometheus.metrics.expositionformats.ExpositionFormats;

import io.kiln.agent.api.LocalHttpServer.Request;
import io.kiln.agent.api.LocalHttpServer.Response;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The agent's local HTTP API, on a Unix domain socket only its owner may use (mode 0600, the
 * default, as container runtimes and Cilium's agent serve theirs) and, when asked for, on TCP on the
 * loopback address (never reachable from another host):
 * <pre>
 *   GET    /healthz                           "ok" (no token needed: for liveness probes)
 *   GET    /v1/status                         agent and endpoint status (JSON)
 *   GET    /metrics                           Prometheus text or OpenMetrics, as Accept asks ({@link MetricsProvider})
 *   GET    /v1/flows?after=&amp;since=&amp;...          recent flows, one JSON object a line (FlowSource)
 *   GET    /v1/fqdn?endpoint=                 names learned from DNS answers (FqdnSource)
 *   GET    /v1/{endpoints|policies|services}  every spec in effect, from any source
 *   GET    /v1/{kind}/{id or name}            one spec in effect, with its source
 *   PUT    /v1/{kind}/{id or name}            apply a spec (JSON or YAML body)
 *   DELETE /v1/{kind}/{id or name}            delete a spec applied through the API
 * </pre>
 * A bad spec is refused with 400 and {@code {"error", "field", "line"}}; a spec another source
 * defines cannot be changed here (409). When a token is set, every request needs
 * {@code Authorization: Bearer TOKEN}: any local user can reach a loopback port, and specs and
 * status are root's business (the agent writes the token to a file only root can read). The Host
 * header must name loopback (403 otherwise), so a DNS-rebinding web page cannot use the API.
 * Served by {@link LocalHttpServer}: each request is read whole under a 5 s deadline on its own
 * connection thread, at most 256 connections at once, so slow clients cannot stall other answers.
 */
public final class ApiServer implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final ExpositionFormats FORMATS = ExpositionFormats.init();

    /**
     * @param port   TCP port on 127.0.0.1, 0 for an ephemeral one (tests), -1 for no TCP
     * @param token  required for every request over TCP, or null for none
     * @param socket a Unix domain socket to serve (mode 0600: its owner only, no token), or null
     */
    public record Options(int port, String token, Path socket) {
        public Options {
            if (port < -1 || port > 65535) {
                throw new IllegalArgumentException("port " + port + " is not in 0..65535 (or -1: no TCP)");
            }
            if (port < 0 && socket == null) {
                throw new IllegalArgumentException("neither a TCP port nor a Unix socket to serve the API on");
            }
        }

        public Options(int port, String token) {
            this(port, token, null);
        }
    }

    private final Options options;
    private final ApiSource store;
    private final TemplateCatalog catalog;
    private final Supplier<DesiredState> desired;
    private final StatusProvider status;
    private final MetricsProvider metrics;
    private LocalHttpServer server;
    private LocalHttpServer unixServer;
    private volatile FlowSource flows;
    private volatile FqdnSource fqdn;

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

    /** Serves {@code GET /v1/fqdn} from {@code source} (404 without one: the agent runs without DNS learning). */
    public ApiServer fqdn(FqdnSource source) {
        this.fqdn = source;
        return this;
    }

    /** Serves {@code GET /v1/flows} from {@code source} (404 without one: the agent runs without flow visibility). */
    public ApiServer flows(FlowSource source) {
        this.flows = source;
        return this;
    }

    public synchronized void start() {
        java.util.function.BiFunction<Integer, String, Response> error =
                (status, message) -> json(status, JSON.createObjectNode().put("error", message));
        if (options.port() >= 0) {
            try {
                server = new LocalHttpServer(options.port(), null, 64, LocalHttpServer.Limits.DEFAULT,
                        x -> answer(x, true), error);
            } catch (IOException e) {
                throw new UncheckedIOException("agent API: cannot listen on 127.0.0.1:" + options.port() + ": "
                        + e.getMessage(), e);
            }
        }
        if (options.socket() != null) {
            try {
                unixServer = new LocalHttpServer(0, options.socket(), 64, LocalHttpServer.Limits.DEFAULT,
                        x -> answer(x, false), error);
            } catch (IOException e) {
                if (server != null) {
                    server.close();
                    server = null;
                }
                throw new UncheckedIOException("agent API: cannot listen on " + options.socket() + ": "
                        + e.getMessage(), e);
            }
        }
    }

    /** The Unix domain socket served, if any. */
    public Optional<Path> socket() {
        return Optional.ofNullable(options.socket());
    }

    /** The TCP port listened on (the ephemeral one when started with 0). */
    public int port() {
        if (server == null) {
            throw new IllegalStateException("the agent API does not listen on TCP");
        }
        return server.port();
    }

    /** Whether the API listens on TCP too (it was given a port). */
    public boolean tcp() {
        return server != null;
    }

    /** The TCP address ({@link #port()}). */
    public URI uri() {
        return URI.create("http://127.0.0.1:" + port());
    }

    /** @param tcp over TCP (token and Host checked), else over the owner-only Unix socket */
    private Response answer(Request x, boolean tcp) {
        try {
            if (tcp) {
                checkHost(x);
                if (x.path().equals("/healthz") && x.method().equals("GET")) {
                    // for a liveness probe, which has no token; it tells nothing but that the agent answers
                    return Response.of(200, "text/plain", "ok\n");
                }
                authorize(x);
            }
            String path = x.path();
            String method = x.method();
            if (path.equals("/metrics")) {
                requireMethod(method, "GET");
                return metrics(metrics, x);
            } else if (path.equals("/healthz")) {
                requireMethod(method, "GET");
                return Response.of(200, "text/plain", "ok\n");
            } else if (path.equals("/v1/status")) {
                requireMethod(method, "GET");
                return json(200, StatusJson.write(status.status()));
            } else if (path.equals("/v1/flows")) {
                requireMethod(method, "GET");
                return flows(x);
            } else if (path.equals("/v1/fqdn")) {
                requireMethod(method, "GET");
                FqdnSource source = fqdn;
                if (source == null) {
                    throw new HttpError(404, "this agent runs without DNS learning (kiln agent --dns-learning)", null, 0);
                }
                try {
                    return Response.of(200, "application/json", source.query(x.query()));
                } catch (IllegalArgumentException e) {
                    throw new HttpError(400, "/v1/fqdn: " + e.getMessage(), null, 0);
                }
            } else if (path.startsWith("/v1/")) {
                return specs(x, method, path.substring(4));
            } else {
                throw new HttpError(404, "no such path " + path, null, 0);
            }
        } catch (HttpError e) {
            ObjectNode o = JSON.createObjectNode().put("error", e.getMessage());
            if (e.field != null) {
                o.put("field", e.field).put("line", e.line);
            }
            Response r = json(e.status, o);
            return e.allow == null ? r : new Response(r.status(), r.contentType(), r.body(), Map.of("Allow", e.allow));
        } catch (RuntimeException e) {
            return json(500, JSON.createObjectNode().put("error", "internal error: " + e));
        }
    }

    /**
     * The metrics in the format the scraper asks for in {@code Accept} (OpenMetrics for Prometheus,
     * else Prometheus text 0.0.4), as the client library's own exporters choose.
     */
    static Response metrics(MetricsProvider metrics, Request x) {
        ExpositionFormatWriter writer = FORMATS.findWriter(x.header("Accept"));
        if (!writer.isAvailable()) { // protobuf: needs a module the agent does not ship
            writer = FORMATS.getPrometheusTextFormatWriter();
        }
        return Response.of(200, writer.getContentType(), MetricsProvider.write(writer, metrics.collect()));
    }

    private Response flows(Request x) {
        FlowSource source = flows;
        if (source == null) {
            throw new HttpError(404, "this agent runs without flow visibility (no flow pipeline)", null, 0);
        }
        try {
            return Response.of(200, "application/x-ndjson", source.query(x.query()));
        } catch (IllegalArgumentException e) {
            throw new HttpError(400, "/v1/flows: " + e.getMessage(), null, 0);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HttpError(503, "the agent is stopping", null, 0);
        }
    }

    private Response specs(Request x, String method, String rest) {
        String[] parts = rest.split("/", 2);
        SpecKind kind = kind(parts[0]);
        if (parts.length == 1 || parts[1].isEmpty()) {
            requireMethod(method, "GET");
            ArrayNode list = JSON.createArrayNode();
            specsOf(kind).values().forEach(s -> list.add(withSource(s)));
            return json(200, list);
        }
        String key = parts[1];
        switch (method) {
            case "GET" -> {
                Spec s = specsOf(kind).get(key);
                if (s == null) {
                    throw new HttpError(404, "no " + kind.word() + " " + key, null, 0);
                }
                return json(200, withSource(s));
            }
            case "PUT" -> {
                Spec s = parse(kind, key, body(x));
                Spec other = specsOf(kind).get(key);
                if (other != null && store.get(kind, key).isEmpty()) {
                    throw new HttpError(409, kind.word() + " " + key + " is defined by " + other.origin().name()
                            + "; change it there", null, 0);
                }
                boolean existed = store.get(kind, key).isPresent();
                store.put(s);
                return json(existed ? 200 : 201, withSource(s));
            }
            case "DELETE" -> {
                if (!store.delete(kind, key)) {
                    Spec other = specsOf(kind).get(key);
                    throw other == null ? new HttpError(404, "no " + kind.word() + " " + key, null, 0)
                            : new HttpError(409, kind.word() + " " + key + " is defined by " + other.origin().name()
                            + "; delete it there", null, 0);
                }
                return new Response(204, null, null, Map.of());
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

    private void authorize(Request x) {
        if (options.token() == null) {
            return;
        }
        String h = Optional.ofNullable(x.header("Authorization")).orElse("");
        byte[] given = h.startsWith("Bearer ") ? h.substring(7).getBytes(StandardCharsets.UTF_8) : new byte[0];
        if (!MessageDigest.isEqual(given, options.token().getBytes(StandardCharsets.UTF_8))) {
            throw new HttpError(401, "the agent API needs the agent's token (Authorization: Bearer ...);"
                    + " kiln reads it from the agent's token file, readable by root", null, 0);
        }
    }

    /**
     * Only loopback names: a web page whose name an attacker re-points at 127.0.0.1 (DNS rebinding)
     * sends its own name as Host, and must not read or change specs through the browser.
     */
    private static void checkHost(Request x) {
        String host = x.header("Host");
        if (host == null) {
            throw new HttpError(403, "no Host header; the agent API answers only Host 127.0.0.1, localhost or [::1]",
                    null, 0);
        }
        String name = host.strip().toLowerCase(java.util.Locale.ROOT);
        int colon = name.lastIndexOf(':');
        if (colon >= 0 && name.indexOf(']') < colon && name.substring(colon + 1).matches("[0-9]{1,5}")) {
            name = name.substring(0, colon);
        }
        if (!name.equals("127.0.0.1") && !name.equals("localhost") && !name.equals("[::1]")) {
            throw new HttpError(403, "Host " + host + " is not a loopback name; the agent API answers only Host"
                    + " 127.0.0.1, localhost or [::1] (a guard against DNS rebinding)", null, 0);
        }
    }

    private static void requireMethod(String method, String allowed) {
        if (!method.equals(allowed)) {
            throw HttpError.method(method, allowed);
        }
    }

    private static String body(Request x) {
        try {
            return StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(x.body())).toString();
        } catch (CharacterCodingException e) {
            throw new HttpError(400, "the body is not UTF-8 text", null, 0);
        }
    }

    private static Response json(int status, Object body) {
        try {
            return Response.of(status, "application/json", JSON.writeValueAsString(body) + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public synchronized void close() {
        if (unixServer != null) {
            unixServer.close();
            unixServer = null;
        }
        if (server != null) {
            server.close();
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
