# Kernels that build the site leave output written by native code (TensorFlow's C++ start-up
# lines about oneDNN and CUDA probing) in the kernel's own log instead of the notebook.
# Python's print and warnings still reach the page. Selected by IPYTHONDIR in the MkDocs hook.
c = get_config()  # noqa: F821
c.IPKernelApp.capture_fd_output = False
