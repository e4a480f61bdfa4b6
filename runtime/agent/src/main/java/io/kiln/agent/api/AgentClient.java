package io.kiln.agent.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kiln.agent.spec.SpecException;
import io.kiln.agent.spec.SpecKind;
import io.kiln.agent.spec.SpecReader;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * A client of the agent's local API, for {@code kiln endpoint apply|delete}, {@code kiln status}
 * and scripts. Failures are {@link AgentApiException}s whose message says what the agent said
 * (with the spec's field and line for a refused spec) or that no agent listens.
 */
public final class AgentClient {
    /** Where the agent writes its API token (mode 0600). */
    public static final Path DEFAULT_TOKEN_FILE = Path.of("/run/kiln/api-token");
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Where the agent listens by default: a Unix domain socket only its owner (root) may use. */
    public static final String SOCKET_FILE_NAME = "api.sock";
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final URI base;
    private final Path socket;
    private final String token;
    private final Path tokenFile;
    private final HttpClient http;

    /** @param token the agent's token, sent with every request, or null */
    public AgentClient(URI base, String token) {
        this(base, token, null);
    }

    private AgentClient(URI base, String token, Path tokenFile) {
        this.base = Objects.requireNonNull(base, "base");
        this.socket = null;
        this.token = token;
        this.tokenFile = tokenFile;
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    }

    private AgentClient(Path socket, String token) {
        this.base = URI.create("http://localhost");
        this.socket = socket;
        this.token = token;
        this.tokenFile = null;
        this.http = null;
    }

    /** The agent's Unix domain socket; its mode (owner only) is the access control, no token needed. */
    public static AgentClient unix(Path socket) {
        return new AgentClient(Objects.requireNonNull(socket, "socket"), null);
    }

    /**
     * The agent on this machine: 127.0.0.1:{@code port}, with the token from {@code tokenFile} if it
     * can be read, read at each request: a restarted agent writes a new one.
     */
    public static AgentClient local(int port, Path tokenFile) {
        AgentClient c = new AgentClient(URI.create("http://127.0.0.1:" + port), null, Objects.requireNonNull(tokenFile));
        c.token(); // an unreadable token file is an error now, not at the first request
        return c;
    }

    private String token() {
        if (tokenFile == null) {
            return token;
        }
        try {
            return Files.readString(tokenFile).strip();
        } catch (NoSuchFileException | java.nio.file.AccessDeniedException e) {
            return null; // without the token the agent refuses with a clear message (401)
        } catch (IOException e) {
            throw new AgentApiException("read the agent's token " + tokenFile + ": " + e.getMessage(), e);
        }
    }

    /**
     * Applies a spec given as YAML or JSON text; its id or name picks the resource. Returns the
     * agent's answer (the spec as stored, with its source).
     */
    public String apply(SpecKind kind, String text) {
        String key = SpecReader.guessKey(kind, text).orElseThrow(() -> new SpecException("spec", 0, 0,
                kind == SpecKind.ENDPOINT ? "id" : "name", "the " + kind.word() + " has no "
                + (kind == SpecKind.ENDPOINT ? "id" : "name") + " (or is not YAML or JSON)"));
        return send("PUT", path(kind, key), text);
    }

    public void delete(SpecKind kind, String key) {
        send("DELETE", path(kind, key), null);
    }

    /** The spec in effect, with its source, as JSON. */
    public String get(SpecKind kind, String key) {
        return send("GET", path(kind, key), null);
    }

    /** Every spec of a kind in effect, as a JSON list. */
    public String list(SpecKind kind) {
        return send("GET", "/v1/" + kind.folder(), null);
    }

    public AgentStatus status() {
        String json = statusJson();
        try {
            return StatusJson.read(JSON.readTree(json));
        } catch (IOException | RuntimeException e) {
            throw new AgentApiException("the agent's status is not what this kiln understands: " + e.getMessage(), e);
        }
    }

    public String statusJson() {
        return send("GET", "/v1/status", null);
    }

    public String metrics() {
        return send("GET", "/metrics", null);
    }

    /**
     * {@code GET /v1/flows} with these query parameters (names and values are encoded here): recent
     * flow records, one JSON object a line. A {@code wait} parameter (ms, at most 25000) makes the
     * agent hold the answer until a record matches.
     */
    public String flows(java.util.Map<String, String> query) {
        StringBuilder q = new StringBuilder("/v1/flows");
        char sep = '?';
        for (var e : query.entrySet()) {
            q.append(sep).append(URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8)).append('=')
                    .append(URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8));
            sep = '&';
        }
        return send("GET", q.toString(), null);
    }

    /** {@code GET /v1/fqdn}, of one endpoint if {@code endpoint} is not null: the names learned from DNS answers (JSON). */
    public String fqdn(Integer endpoint) {
        return send("GET", endpoint == null ? "/v1/fqdn" : "/v1/fqdn?endpoint=" + endpoint, null);
    }

    /**
     * {@code GET /v1/fqdn?limit=N}: the first {@code limit} learned entries and the learner's figures
     * (JSON), or empty when the agent runs without DNS learning (it answers 404).
     */
    public java.util.Optional<String> fqdnSummary(int limit) {
        try {
            return java.util.Optional.of(send("GET", "/v1/fqdn?limit=" + limit, null));
        } catch (AgentApiException e) {
            if (e.status() == 404) {
                return java.util.Optional.empty();
            }
            throw e;
        }
    }

    private static String path(SpecKind kind, String key) {
        return "/v1/" + kind.folder() + "/" + URLEncoder.encode(key, StandardCharsets.UTF_8);
    }

    private String where() {
        return socket != null ? "unix:" + socket : base.toString();
    }

    private String send(String method, String path, String body) {
        if (socket == null) {
            return sendHttp(method, path, body);
        }
        String contentType = body == null ? null : contentType(body);
        int status;
        String answer;
        try {
            String[] r = UnixHttp.exchange(socket, method, path, token, contentType, body, TIMEOUT);
            status = Integer.parseInt(r[0]);
            answer = r[1];
        } catch (java.net.SocketException | NoSuchFileException e) {
            throw new AgentApiException("no agent answers at " + where() + " (is `kiln agent` running, and are you"
                    + " root? the socket is its owner's only): " + e.getMessage(), e);
        } catch (IOException e) {
            throw new AgentApiException("agent at " + where() + ": " + method + " " + path + ": " + e, e);
        }
        return result(status, answer);
    }

    private static String contentType(String body) {
        return body.stripLeading().startsWith("{") ? "application/json" : "application/yaml";
    }

    private String sendHttp(String method, String path, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        if (body != null) {
            b.header("Content-Type", contentType(body));
        }
        String t = token();
        if (t != null) {
            b.header("Authorization", "Bearer " + t);
        }
        HttpResponse<String> r;
        try {
            r = http.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (ConnectException e) {
            throw new AgentApiException("no agent answers at " + base + " (is `kiln agent` running?)", e);
        } catch (IOException e) {
            throw new AgentApiException("agent at " + base + ": " + method + " " + path + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AgentApiException("interrupted waiting for the agent", e);
        }
        return result(r.statusCode(), r.body());
    }

    private static String result(int status, String body) {
        if (status / 100 == 2) {
            return body;
        }
        String message = body;
        String field = null;
        int line = 0;
        try {
            JsonNode o = JSON.readTree(body);
            message = o.path("error").asText(body);
            field = o.hasNonNull("field") ? o.get("field").asText() : null;
            line = o.path("line").asInt();
        } catch (IOException e) {
            // not JSON: the body as it is
        }
        throw new AgentApiException(status, "agent: " + message.strip(), field, line);
    }
}
