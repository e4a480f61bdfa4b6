package io.kiln.runtime.internal;

import io.kiln.FileTrees;
import io.kiln.runtime.EndpointException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** Removes a folder of pins: unlinking a pin drops bpffs's reference, the object lives on while others hold it. */
public final class PinTree {
    private PinTree() {
    }

    public static void delete(Path dir, String context) {
        try {
            FileTrees.delete(dir);
        } catch (IOException e) {
            throw new EndpointException(context + ": remove pins under " + dir + ": " + e.getMessage(), false, e);
        }
    }

    /** True if the folder has no entries (or does not exist). */
    public static boolean isEmpty(Path dir) {
        if (!Files.isDirectory(dir)) {
            return true;
        }
        try (Stream<Path> list = Files.list(dir)) {
            return list.findAny().isEmpty();
        } catch (IOException e) {
            return false;
        }
    }
}
