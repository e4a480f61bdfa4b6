package io.kiln.bpf;

/**
 * Input of a {@code BPF_PROG_TEST_RUN}: the packet, an optional context (for sched_cls a
 * {@code struct __sk_buff}, for XDP a {@code struct xdp_md}), and how often to run. Immutable; build
 * with {@link #builder()}.
 */
public final class TestRunOptions {
    /** Room for a program that grows the packet (encapsulation, {@code bpf_skb_adjust_room}). */
    public static final int DEFAULT_DATA_OUT_HEADROOM = 256;

    private final byte[] data;
    private final int dataOutSize;
    private final byte[] context;
    private final int contextOutSize;
    private final int repeat;

    private TestRunOptions(Builder b) {
        this.data = b.data;
        this.dataOutSize = b.dataOutSize >= 0 ? b.dataOutSize : b.data.length + DEFAULT_DATA_OUT_HEADROOM;
        this.context = b.context;
        this.contextOutSize = b.contextOutSize >= 0 ? b.contextOutSize : (b.context == null ? 0 : b.context.length);
        this.repeat = b.repeat;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** One run on this packet. */
    public static TestRunOptions of(byte[] data) {
        return builder().data(data).build();
    }

    public byte[] data() {
        return data.clone();
    }

    public int dataOutSize() {
        return dataOutSize;
    }

    /** The context in, or null for none. */
    public byte[] context() {
        return context == null ? null : context.clone();
    }

    public int contextOutSize() {
        return contextOutSize;
    }

    public int repeat() {
        return repeat;
    }

    byte[] dataRef() {
        return data;
    }

    byte[] contextRef() {
        return context;
    }

    public static final class Builder {
        private byte[] data;
        private int dataOutSize = -1;
        private byte[] context;
        private int contextOutSize = -1;
        private int repeat = 1;

        private Builder() {
        }

        /** The packet the program sees (for tc and XDP at least an Ethernet header, 14 bytes). */
        public Builder data(byte[] data) {
            if (data == null || data.length == 0) {
                throw new IllegalArgumentException("data: a test run needs a packet");
            }
            this.data = data.clone();
            return this;
        }

        /** Room for the packet out; defaults to the input size plus {@value #DEFAULT_DATA_OUT_HEADROOM}. */
        public Builder dataOutSize(int bytes) {
            if (bytes < 0) {
                throw new IllegalArgumentException("dataOutSize " + bytes + ": must be >= 0");
            }
            this.dataOutSize = bytes;
            return this;
        }

        /** The context in ({@code struct __sk_buff} for sched_cls); by default the kernel builds one. */
        public Builder context(byte[] context) {
            this.context = context == null ? null : context.clone();
            return this;
        }

        /** Room for the context out; defaults to the size of the context in (0 without one). */
        public Builder contextOutSize(int bytes) {
            if (bytes < 0) {
                throw new IllegalArgumentException("contextOutSize " + bytes + ": must be >= 0");
            }
            this.contextOutSize = bytes;
            return this;
        }

        /** Runs the program this many times (the kernel reports the mean duration). */
        public Builder repeat(int repeat) {
            if (repeat < 1) {
                throw new IllegalArgumentException("repeat " + repeat + ": must be >= 1");
            }
            this.repeat = repeat;
            return this;
        }

        public TestRunOptions build() {
            if (data == null) {
                throw new IllegalStateException("data: a test run needs a packet (call data(byte[]))");
            }
            return new TestRunOptions(this);
        }
    }

    @Override
    public String toString() {
        return "TestRunOptions[data " + data.length + " bytes, dataOut " + dataOutSize + ", context "
                + (context == null ? "none" : context.length + " bytes") + ", repeat " + repeat + "]";
    }
}
