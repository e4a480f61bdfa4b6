package io.kiln.bpf;

import com.sun.jna.Memory;
import io.kiln.bpf.internal.Failures;
import io.kiln.bpf.internal.LibBpf;
import io.kiln.bpf.internal.LibbpfLog;
import io.kiln.bpf.internal.Structs;

/** {@code bpf_prog_test_run_opts} with native buffers for data and context in and out. */
final class TestRuns {
    private TestRuns() {
    }

    static TestRunResult run(int progFd, TestRunOptions o, String context) {
        byte[] data = o.dataRef();
        byte[] ctx = o.contextRef();
        try (Memory dataIn = new Memory(data.length);
             Memory dataOut = o.dataOutSize() > 0 ? new Memory(o.dataOutSize()) : null;
             Memory ctxIn = ctx != null && ctx.length > 0 ? new Memory(ctx.length) : null;
             Memory ctxOut = o.contextOutSize() > 0 ? new Memory(o.contextOutSize()) : null) {
            Structs.TestRunOpts opts = new Structs.TestRunOpts();
            dataIn.write(0, data, 0, data.length);
            opts.data_in = dataIn;
            opts.data_size_in = data.length;
            if (dataOut != null) {
                opts.data_out = dataOut;
                opts.data_size_out = o.dataOutSize();
            }
            if (ctxIn != null) {
                ctxIn.write(0, ctx, 0, ctx.length);
                opts.ctx_in = ctxIn;
                opts.ctx_size_in = ctx.length;
            }
            if (ctxOut != null) {
                opts.ctx_out = ctxOut;
                opts.ctx_size_out = o.contextOutSize();
            }
            opts.repeat = o.repeat();
            LibbpfLog.begin();
            Failures.check(LibBpf.bpf_prog_test_run_opts(progFd, opts), context,
                    "test run (" + data.length + " bytes, repeat " + o.repeat() + ")");
            byte[] out = dataOut == null ? new byte[0]
                    : dataOut.getByteArray(0, Math.min(opts.data_size_out, o.dataOutSize()));
            byte[] ctxResult = ctxOut == null ? new byte[0]
                    : ctxOut.getByteArray(0, Math.min(opts.ctx_size_out, o.contextOutSize()));
            return new TestRunResult(opts.retval, out, ctxResult, Integer.toUnsignedLong(opts.duration));
        }
    }
}
