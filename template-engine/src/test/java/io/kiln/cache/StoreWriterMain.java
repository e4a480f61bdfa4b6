package io.kiln.cache;

import io.kiln.compile.ClangCompiler;
import io.kiln.compile.TestSources;
import io.kiln.template.TemplateDescriptor;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A second process for {@link TwoProcessStoreTest}: waits for the go signal, then compiles the
 * given variants of the {@link TestSources} layout under {@code base} into the store at
 * {@code storeDir}, printing {@code ok <variant> <key>} for each. Exits 1 on any failure.
 *
 * <p>Arguments: {@code base storeDir readyFile goFile variant...}
 */
public final class StoreWriterMain {
    private StoreWriterMain() {
    }

    public static void main(String[] args) throws Exception {
        Path base = Path.of(args[0]);
        Path storeDir = Path.of(args[1]);
        Path ready = Path.of(args[2]);
        Path go = Path.of(args[3]);
        try {
            Path root = base.resolve("templates");
            TemplateDescriptor template = TestSources.template(root, List.of(root, base.resolve("lib")));
            ObjectCache cache = new ObjectCache(new ClangCompiler(TestSources.clang(), Duration.ofSeconds(120)),
                    new ObjectStore(storeDir, 64L << 20));
            Files.createFile(ready);
            long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
            while (!Files.exists(go)) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("no go signal within 120 s");
                }
                Thread.sleep(5);
            }
            for (int i = 4; i < args.length; i++) {
                int variant = Integer.parseInt(args[i]);
                CacheResult result = cache.get(TestSources.source(template, variant));
                System.out.println("ok " + variant + " " + result.object().key() + " " + result.outcome());
            }
        } catch (Exception | Error e) {
            System.out.println("failed: " + e);
            e.printStackTrace(System.out);
            System.exit(1);
        }
        System.exit(0);
    }
}
