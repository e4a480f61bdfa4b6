package io.kiln.agent.api;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * A small HTTP/1.1 server for the agent's loopback API: one request per connection, read whole
 * under a deadline before it is handled. The JDK's server read headers on its (few) workers without
 * any deadline, so two idle sockets froze every answer. Here each connection has its own thread, at
 * most {@link Limits#maxConnections()} at once (the next one gets 503 at once, never a queue), and a
 * timer closes a socket whose request is not in within {@link Limits#requestDeadline()} or whose
 * answer is not taken within {@link Limits#responseDeadline()}.
 */
final class LocalHttpServer implements AutoCloseable {
    /** The bounds; the defaults suit a local API that answers in milliseconds. */
    record Limits(int maxConnections, Duration requestDeadline, Duration responseDeadline,
                  int maxHeaderBytes, int maxBodyBytes) {
        static final Limits DEFAULT = new Limits(256, Duration.ofSeconds(5), Duration.ofSeconds(30), 16 << 10, 1 << 20);
    }

    /** A request read whole: method, decoded path, headers by lower-case name (first value), body, raw query (or null). */
    record Request(String method, String path, Map<String, String> headers, byte[] body, String rawQuery) {
        String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }

        /** The query parameters, decoded; the first of repeated names. */
        Map<String, String> query() {
            Map<String, String> out = new java.util.LinkedHashMap<>();
            if (rawQuery == null || rawQuery.isEmpty()) {
                return out;
            }
            for (String pair : rawQuery.split("&")) {
                int eq = pair.indexOf('=');
                String k = java.net.URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
                String v = eq < 0 ? "" : java.net.URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                out.putIfAbsent(k, v);
            }
            return out;
        }
    }

    /** An answer; {@code body} null for none (204). */
    record Response(int status, String contentType, byte[] body, Map<String, String> headers) {
        static Response of(int status, String contentType, String body) {
            return new Response(status, contentType, body.getBytes(StandardCharsets.UTF_8), Map.of());
        }
    }

    /** A request refused before it reached the handler. */
    private static final class Refused extends Exception {
        private static final long serialVersionUID = 1L;
        final int status;

        Refused(int status, String message) {
            super(message, null, false, false);
            this.status = status;
        }
    }

    private final Limits limits;
    private final Function<Request, Response> handler;
    private final Function<Refused, Response> refusal;
    private final ServerSocketChannel socket;
    private final Path socketFile;
    private final ThreadPoolExecutor workers;
    private final ScheduledThreadPoolExecutor timer;
    private final Thread acceptor;

    /**
     * @param port      a TCP port on the loopback address (0: ephemeral), used when {@code file} is null
     * @param file      a Unix domain socket to create, readable and writable by its owner only
     * @param errorBody the answer's body for an error the server itself gives (the handler's format)
     */
    LocalHttpServer(int port, Path file, int backlog, Limits limits, Function<Request, Response> handler,
                    java.util.function.BiFunction<Integer, String, Response> errorBody) throws IOException {
        this(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), file, backlog, limits, handler, errorBody);
    }

    /** @param address the TCP address to listen on, used when {@code file} is null */
    LocalHttpServer(InetSocketAddress address, Path file, int backlog, Limits limits, Function<Request, Response> handler,
                    java.util.function.BiFunction<Integer, String, Response> errorBody) throws IOException {
        this.limits = limits;
        this.handler = handler;
        this.refusal = r -> errorBody.apply(r.status, r.getMessage());
        this.socketFile = file;
        if (file == null) {
            socket = ServerSocketChannel.open(address.getAddress() instanceof java.net.Inet6Address
                    ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET);
            socket.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            socket.bind(address, backlog);
        } else {
            socket = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            try {
                bindOwnerOnly(file, backlog);
            } catch (IOException | RuntimeException e) {
                socket.close();
                throw e;
            }
        }
        this.workers = new ThreadPoolExecutor(0, limits.maxConnections(), 30, TimeUnit.SECONDS,
                new SynchronousQueue<>(), daemon("kiln-api"));
        this.timer = new ScheduledThreadPoolExecutor(1, daemon("kiln-api-timer"));
        timer.setRemoveOnCancelPolicy(true);
        this.acceptor = daemon("kiln-api-accept").newThread(this::acceptLoop);
        acceptor.start();
    }

    /**
     * Bound under a random name, made 0600, then renamed into place: the socket never has its final
     * name with the umask's mode, so no other user can connect in between.
     */
    private void bindOwnerOnly(Path file, int backlog) throws IOException {
        Path tmp = file.resolveSibling("." + file.getFileName() + "." + Long.toUnsignedString(
                new java.security.SecureRandom().nextLong(), 36));
        socket.bind(UnixDomainSocketAddress.of(tmp), backlog);
        try {
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
            // a stale socket of a killed agent is in the way: replaced, as any restarted daemon does
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
    }

    int port() {
        try {
            SocketAddress a = socket.getLocalAddress();
            return a instanceof InetSocketAddress i ? i.getPort() : -1;
        } catch (IOException e) {
            return -1;
        }
    }

    private void acceptLoop() {
        while (socket.isOpen()) {
            SocketChannel s;
            try {
                s = socket.accept();
            } catch (IOException e) {
                continue; // closed (the loop ends) or one failed accept
            }
            try {
                workers.execute(() -> serve(s));
            } catch (RejectedExecutionException e) {
                // every slot taken: say so now; a fresh socket's send buffer takes this without blocking
                ScheduledFuture<?> kill = timer.schedule(() -> quietClose(s), 1, TimeUnit.SECONDS);
                try {
                    write(s, refusal.apply(new Refused(503, "the agent API has " + limits.maxConnections()
                            + " connections open; try again")));
                } catch (IOException ignored) {
                    // the client is gone
                } finally {
                    kill.cancel(false);
                    quietClose(s);
                }
            }
        }
    }

    private void serve(SocketChannel s) {
        // closing the channel is the deadline: it ends a blocked read or write at once
        ScheduledFuture<?> kill = timer.schedule(() -> quietClose(s), limits.requestDeadline().toMillis(),
                TimeUnit.MILLISECONDS);
        try (s) {
            if (socketFile == null) {
                s.setOption(StandardSocketOptions.TCP_NODELAY, true);
            }
            Response answer;
            try {
                Request r = read(new BufferedInputStream(Channels.newInputStream(s), 8192), s);
                kill.cancel(false);
                kill = timer.schedule(() -> quietClose(s), limits.responseDeadline().toMillis(), TimeUnit.MILLISECONDS);
                answer = handler.apply(r);
            } catch (Refused e) {
                answer = refusal.apply(e);
            }
            write(s, answer);
        } catch (IOException e) {
            // timed out, closed by the timer, or the client left: nothing to answer
        } finally {
            kill.cancel(false);
        }
    }

    private Request read(InputStream in, SocketChannel s) throws IOException, Refused {
        int[] budget = {limits.maxHeaderBytes()};
        String line = line(in, budget);
        while (line.isEmpty()) { // RFC 9112: a server should ignore empty lines before the request line
            line = line(in, budget);
        }
        String[] parts = line.split(" ", -1);
        if (parts.length != 3 || !parts[2].startsWith("HTTP/1.")) {
            throw new Refused(400, "bad request line");
        }
        Map<String, String> headers = new LinkedHashMap<>();
        for (String h = line(in, budget); !h.isEmpty(); h = line(in, budget)) {
            int colon = h.indexOf(':');
            if (colon <= 0) {
                throw new Refused(400, "bad header line");
            }
            headers.putIfAbsent(h.substring(0, colon).strip().toLowerCase(Locale.ROOT), h.substring(colon + 1).strip());
        }
        String path;
        String rawQuery;
        try {
            java.net.URI target = new java.net.URI(parts[1]);
            path = target.getPath();
            rawQuery = target.getRawQuery();
        } catch (java.net.URISyntaxException e) {
            throw new Refused(400, "bad request target " + parts[1]);
        }
        if (path == null || !path.startsWith("/")) {
            throw new Refused(400, "bad request target " + parts[1]);
        }
        if (headers.containsKey("transfer-encoding")) {
            throw new Refused(411, "send the body with Content-Length, not Transfer-Encoding");
        }
        long length = 0;
        String cl = headers.get("content-length");
        if (cl != null) {
            try {
                length = Long.parseLong(cl);
            } catch (NumberFormatException e) {
                throw new Refused(400, "bad Content-Length " + cl);
            }
            if (length < 0) {
                throw new Refused(400, "bad Content-Length " + cl);
            }
        }
        if (length > limits.maxBodyBytes()) {
            throw new Refused(413, "body larger than " + limits.maxBodyBytes() + " bytes");
        }
        if (length > 0 && "100-continue".equalsIgnoreCase(headers.get("expect"))) {
            // curl asks before sending a body over 1 KiB, and waits a second for this
            ByteBuffer go = ByteBuffer.wrap("HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            while (go.hasRemaining()) {
                s.write(go);
            }
        }
        byte[] body = in.readNBytes((int) length);
        if (body.length < length) {
            throw new SocketException("the client closed before its body ended");
        }
        return new Request(parts[0], path, headers, body, rawQuery);
    }

    /** One CRLF- (or LF-) ended line of ISO-8859-1 text, counted against the header budget. */
    private static String line(InputStream in, int[] budget) throws IOException, Refused {
        ByteArrayOutputStream b = new ByteArrayOutputStream(64);
        while (true) {
            int c = in.read();
            if (c < 0) {
                throw new SocketException("the client closed before its request ended");
            }
            if (--budget[0] < 0) {
                throw new Refused(431, "request line and headers larger than the allowed bytes");
            }
            if (c == '\n') {
                byte[] a = b.toByteArray();
                int n = a.length > 0 && a[a.length - 1] == '\r' ? a.length - 1 : a.length;
                return new String(a, 0, n, StandardCharsets.ISO_8859_1);
            }
            b.write(c);
        }
    }

    private static void write(SocketChannel s, Response r) throws IOException {
        StringBuilder h = new StringBuilder(128).append("HTTP/1.1 ").append(r.status()).append(' ')
                .append(reason(r.status())).append("\r\n");
        r.headers().forEach((k, v) -> h.append(k).append(": ").append(v).append("\r\n"));
        if (r.body() != null) {
            h.append("Content-Type: ").append(r.contentType()).append("\r\n")
                    .append("Content-Length: ").append(r.body().length).append("\r\n");
        }
        h.append("Connection: close\r\n\r\n");
        byte[] head = h.toString().getBytes(StandardCharsets.ISO_8859_1);
        byte[] body = r.body() == null ? new byte[0] : r.body();
        byte[] all = new byte[head.length + body.length]; // one write: no Nagle/delayed-ACK stall
        System.arraycopy(head, 0, all, 0, head.length);
        System.arraycopy(body, 0, all, head.length, body.length);
        ByteBuffer buf = ByteBuffer.wrap(all);
        while (buf.hasRemaining()) {
            s.write(buf);
        }
        s.shutdownOutput();
    }

    private static String reason(int status) {
        return switch (status) {
            case 200 -> "OK";
            case 201 -> "Created";
            case 204 -> "No Content";
            case 400 -> "Bad Request";
            case 401 -> "Unauthorized";
            case 403 -> "Forbidden";
            case 404 -> "Not Found";
            case 405 -> "Method Not Allowed";
            case 409 -> "Conflict";
            case 411 -> "Length Required";
            case 413 -> "Content Too Large";
            case 421 -> "Misdirected Request";
            case 431 -> "Request Header Fields Too Large";
            case 503 -> "Service Unavailable";
            default -> status >= 500 ? "Server Error" : "Error";
        };
    }

    private static void quietClose(java.io.Closeable s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // closing is all we wanted
        }
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // already closed
        }
        workers.shutdownNow();
        timer.shutdownNow();
        if (socketFile != null) {
            try {
                Files.deleteIfExists(socketFile);
            } catch (IOException ignored) {
                // a stale socket is replaced at the next start
            }
        }
    }
}
