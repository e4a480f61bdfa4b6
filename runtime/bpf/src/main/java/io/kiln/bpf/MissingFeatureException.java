package io.kiln.bpf;

/** The running kernel lacks a BPF feature Kiln was asked to use; names the feature and the kernel that has it. */
public class MissingFeatureException extends BpfException {
    private static final long serialVersionUID = 1L;

    private final String feature;
    private final String minimumKernel;

    public MissingFeatureException(String feature, String minimumKernel, String detail) {
        super(feature + " not supported by this kernel (" + System.getProperty("os.version")
                + "); needs Linux " + minimumKernel + " or later" + (detail.isEmpty() ? "" : ": " + detail));
        this.feature = feature;
        this.minimumKernel = minimumKernel;
    }

    public String feature() {
        return feature;
    }

    public String minimumKernel() {
        return minimumKernel;
    }
}
