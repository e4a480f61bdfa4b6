package io.kiln.dataplane;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The backend slot the endpoint template's load balancer picks (hash.h), against a second implementation. */
class BackendSlotTest {
    @Test
    void backendSlotIsMurmur3OfTheDocumentedWords() {
        // words: ntohl(198.18.0.12), ntohl(198.18.100.1), 40000 << 16 | 80, 6; a large modulus keeps most of the hash
        int slot = EndpointMaps.backendSlot("198.18.0.12", "198.18.100.1", 40000, 80, 6, 1_000_003);
        assertEquals(referenceMurmur(new int[] {0xc612000c, 0xc6126401, 40000 << 16 | 80, 6}) % 1_000_003, slot);
    }

    /** A byte-wise textbook MurmurHash3 x86_32 over little-endian words: a second implementation to compare with. */
    private static long referenceMurmur(int[] words) {
        byte[] data = new byte[words.length * 4];
        for (int i = 0; i < words.length; i++) {
            for (int b = 0; b < 4; b++) {
                data[4 * i + b] = (byte) (words[i] >>> (8 * b));
            }
        }
        int h = 0;
        for (int i = 0; i < data.length; i += 4) {
            int k = (data[i] & 0xff) | (data[i + 1] & 0xff) << 8 | (data[i + 2] & 0xff) << 16 | (data[i + 3] & 0xff) << 24;
            k *= 0xcc9e2d51;
            k = (k << 15) | (k >>> 17);
            k *= 0x1b873593;
            h ^= k;
            h = (h << 13) | (h >>> 19);
            h = h * 5 + 0xe6546b64;
        }
        h ^= data.length;
        h ^= h >>> 16;
        h *= 0x85ebca6b;
        h ^= h >>> 13;
        h *= 0xc2b2ae35;
        h ^= h >>> 16;
        return Integer.toUnsignedLong(h);
    }
}
