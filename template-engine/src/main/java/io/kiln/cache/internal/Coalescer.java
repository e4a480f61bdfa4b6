package io.kiln.cache.internal;

import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.kiln.KilnException;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import java.util.function.ToIntFunction;

/**
 * A Caffeine async cache in which concurrent requests for one key share one computation, run in
 * the thread of the first request. A failure is handed to every request that was waiting for it
 * and then forgotten, so the next request computes again.
 *
 * <p>Failures travel as a normally completed {@link Attempt} rather than a failed future: Caffeine
 * logs every failed future with its stack trace, and a compile error in a user's template is
 * reported once, by its front end, without one.
 */
public final class Coalescer<K, V> {
    private final AsyncCache<K, Attempt<V>> cache;

    private record Attempt<V>(V value, RuntimeException failure, Error error) {
        V get() {
            if (failure != null) {
                throw failure;
            }
            if (error != null) {
                throw error;
            }
            return value;
        }
    }

    /** What a request got, and whether this request computed it (true) or shared another's (false). */
    public record Loaded<V>(V value, boolean computedHere) {
    }

    private Coalescer(AsyncCache<K, Attempt<V>> cache) {
        this.cache = cache;
    }

    public static <K, V> Coalescer<K, V> bySize(long maximumSize) {
        return new Coalescer<>(Caffeine.newBuilder().maximumSize(maximumSize).buildAsync());
    }

    public static <K, V> Coalescer<K, V> byWeight(long maximumWeight, ToIntFunction<V> weigher) {
        return new Coalescer<>(Caffeine.newBuilder()
                .maximumWeight(maximumWeight)
                .<K, Attempt<V>>weigher((key, attempt) -> attempt.value() == null ? 0 : weigher.applyAsInt(attempt.value()))
                .buildAsync());
    }

    /** The cached value of {@code key}, or the one {@code compute} returns, computed once for all waiters. */
    public Loaded<V> get(K key, Supplier<V> compute) {
        CompletableFuture<Attempt<V>> mine = new CompletableFuture<>();
        AtomicBoolean computing = new AtomicBoolean();
        CompletableFuture<Attempt<V>> shared = cache.get(key, (k, executor) -> {
            computing.set(true);
            return mine;
        });
        if (!computing.get()) {
            return new Loaded<>(await(shared).get(), false);
        }
        V value;
        try {
            value = compute.get();
        } catch (RuntimeException e) {
            fail(key, shared, mine, new Attempt<>(null, e, null));
            throw e;
        } catch (Error e) {
            fail(key, shared, mine, new Attempt<>(null, null, e));
            throw e;
        }
        mine.complete(new Attempt<>(value, null, null));
        return new Loaded<>(value, true);
    }

    /** Forgets {@code key}'s value if it is still {@code stale} (a newer one is kept). */
    public void discard(K key, V stale) {
        CompletableFuture<Attempt<V>> current = cache.getIfPresent(key);
        if (current != null && current.isDone() && !current.isCompletedExceptionally()
                && current.join().value() == stale) {
            cache.asMap().remove(key, current);
        }
    }

    public void invalidate(K key) {
        cache.synchronous().invalidate(key);
    }

    private void fail(K key, CompletableFuture<Attempt<V>> shared, CompletableFuture<Attempt<V>> mine, Attempt<V> failed) {
        // forgotten before the waiters wake, so that no later request can be handed this failure
        cache.asMap().remove(key, shared);
        mine.complete(failed);
    }

    private static <T> T await(CompletableFuture<T> future) {
        try {
            return future.get();
        } catch (ExecutionException e) {
            throw new KilnException("coalesced load failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KilnException("interrupted while waiting for another request's compile", e);
        }
    }
}
