package io.kiln.cache.internal;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.function.Supplier;

/** The two halves of a coalesced load: the one caller that computes, and the callers that wait. */
public final class Futures {
    private Futures() {
    }

    /**
     * Computes the value in the calling thread and completes {@code future} with it. On failure it
     * first runs {@code forget} (so the failure is never served from the cache to later callers) and
     * then fails the future, so that every caller already waiting sees the same exception.
     */
    public static <T> T fill(CompletableFuture<T> future, Supplier<T> compute, Runnable forget) {
        T value;
        try {
            value = compute.get();
        } catch (RuntimeException | Error e) {
            forget.run();
            future.completeExceptionally(e);
            throw e;
        }
        future.complete(value);
        return value;
    }

    /** Waits for a value another caller computes, rethrowing its exception as it was thrown there. */
    public static <T> T join(CompletableFuture<T> future) {
        try {
            return future.get();
        } catch (ExecutionException e) {
            throw rethrow(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new io.kiln.KilnException("interrupted while waiting for a compile", e);
        }
    }

    private static RuntimeException rethrow(Throwable cause) {
        if (cause instanceof CompletionException && cause.getCause() != null) {
            cause = cause.getCause();
        }
        if (cause instanceof RuntimeException runtime) {
            throw runtime;
        }
        if (cause instanceof Error error) {
            throw error;
        }
        throw new io.kiln.KilnException(String.valueOf(cause.getMessage()), cause);
    }
}
