package io.kiln.template.internal;

import freemarker.core.Environment;
import freemarker.core.TemplateElement;
import freemarker.core._CoreAPI;
import freemarker.template.Configuration;
import freemarker.template.Template;
import io.kiln.template.RenderException;
import io.kiln.template.RenderLimits;

import java.io.IOException;
import java.io.Writer;
import java.lang.reflect.Field;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs one FreeMarker render within bounds, because templates are untrusted input that the agent
 * renders as root: the output is capped, the render runs on its own thread with a fixed stack and
 * a deadline (past it the thread is interrupted, which the checks {@link LockedDownConfiguration}
 * adds to every loop and macro body obey, and the caller returns at once either way), and running
 * out of stack or heap becomes a {@link RenderException} at the template line, not a JVM error.
 */
public final class BoundedRender {
    private BoundedRender() {
    }

    /** Renders template {@code name} of {@code cfg} with {@code model}; returns the output. */
    public static String run(Configuration cfg, TemplateRootsLoader loader, Path mainTemplate, String name,
                             Object model, RenderLimits limits, String context) {
        AtomicReference<Environment> env = new AtomicReference<>();
        CompletableFuture<String> result = new CompletableFuture<>();
        Thread worker = new Thread(null, () -> {
            try {
                Template template = cfg.getTemplate(name);
                CappedWriter out = new CappedWriter(limits.maxOutputChars());
                Environment e = template.createProcessingEnvironment(model, out);
                env.set(e);
                e.process();
                result.complete(out.text());
            } catch (StackOverflowError e) {
                result.completeExceptionally(at(deepest(env.get()), loader, mainTemplate,
                        "template calls nest too deeply (a macro or function that calls itself without end?);"
                                + " Kiln renders on a " + (limits.stackBytes() >> 20) + " MiB stack" + context, null));
            } catch (OutOfMemoryError e) {
                result.completeExceptionally(at(deepest(env.get()), loader, mainTemplate,
                        "rendering ran out of memory (a string or sequence grown without bound?)" + context, null));
            } catch (Throwable e) {
                result.completeExceptionally(e);
            }
        }, "kiln-render", limits.stackBytes());
        worker.setDaemon(true);
        worker.start();
        try {
            return result.get(limits.timeout().toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            TemplateElement where = top(env.get());
            worker.interrupt();
            throw at(where, loader, mainTemplate, "rendering took longer than " + limits.timeout().toMillis()
                    + " ms, Kiln's limit (a loop that does not end?)" + context, null);
        } catch (InterruptedException e) {
            worker.interrupt();
            Thread.currentThread().interrupt();
            throw new RenderException(mainTemplate, 0, 0, "rendering was interrupted" + context, e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RenderException r) {
                throw r;
            }
            OutputLimitException limit = find(cause);
            if (limit != null) {
                throw at(limit.where, loader, mainTemplate, limit.getMessage() + context, null);
            }
            throw RenderErrors.convert(cause, mainTemplate, loader, context);
        }
    }

    private static RenderException at(TemplateElement where, TemplateRootsLoader loader, Path mainTemplate,
                                      String reason, Throwable cause) {
        if (where == null || where.getTemplate() == null) {
            return new RenderException(mainTemplate, 0, 0, reason, cause);
        }
        return RenderErrors.located(cause, loader, mainTemplate, where.getTemplate().getSourceName(),
                where.getBeginLine(), where.getBeginColumn(), reason);
    }

    /** The instruction being run; read from another thread, so only a hint for the message. */
    private static TemplateElement top(Environment env) {
        try {
            TemplateElement[] stack = env == null ? null : _CoreAPI.getInstructionStackSnapshot(env);
            return stack != null && stack.length > 0 ? stack[0] : null;
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static final Field INSTRUCTION_STACK = instructionStackField();

    private static Field instructionStackField() {
        try {
            Field f = Environment.class.getDeclaredField("instructionStack");
            f.setAccessible(true);
            return f;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }

    /**
     * The deepest instruction the render reached. After a stack overflow has unwound, FreeMarker's
     * instruction stack is empty but its array still holds the entries, the recursive call among them.
     */
    private static TemplateElement deepest(Environment env) {
        if (env == null || INSTRUCTION_STACK == null) {
            return null;
        }
        try {
            Object[] stack = (Object[]) INSTRUCTION_STACK.get(env);
            for (int i = stack.length - 1; i >= 0; i--) {
                if (stack[i] instanceof TemplateElement te) {
                    return te;
                }
            }
        } catch (ReflectiveOperationException | RuntimeException e) {
            // only the line is lost
        }
        return null;
    }

    private static OutputLimitException find(Throwable e) {
        for (Throwable t = e; t != null && t != t.getCause(); t = t.getCause()) {
            if (t instanceof OutputLimitException o) {
                return o;
            }
        }
        return null;
    }

    /** Thrown by the writer past the cap, with the instruction that wrote the excess. */
    static final class OutputLimitException extends IOException {
        private static final long serialVersionUID = 1L;
        final transient TemplateElement where;

        OutputLimitException(String message, TemplateElement where) {
            super(message);
            this.where = where;
        }
    }

    /** A StringBuilder writer that refuses to grow past a limit. */
    static final class CappedWriter extends Writer {
        private final StringBuilder text = new StringBuilder();
        private final long max;

        CappedWriter(long max) {
            this.max = max;
        }

        @Override
        public void write(char[] cbuf, int off, int len) throws IOException {
            room(len);
            text.append(cbuf, off, len);
        }

        @Override
        public void write(String str, int off, int len) throws IOException {
            room(len);
            text.append(str, off, off + len);
        }

        @Override
        public void write(int c) throws IOException {
            room(1);
            text.append((char) c);
        }

        private void room(int len) throws IOException {
            if (text.length() + (long) len > max) {
                Environment env = Environment.getCurrentEnvironment();
                TemplateElement[] stack = env == null ? null : _CoreAPI.getInstructionStackSnapshot(env);
                throw new OutputLimitException("rendered output exceeds " + max + " characters, Kiln's limit"
                        + " (a loop that does not end?)", stack != null && stack.length > 0 ? stack[0] : null);
            }
        }

        String text() {
            return text.toString();
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    }
}
