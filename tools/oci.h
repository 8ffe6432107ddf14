/* oci.h - mlrun-oci: mlrun as an OCI runtime, with runc's command line as podman (conmon) and
 * containerd's runc shim use it (docs/oci.md). Started as mlrun-oci (a link to mlrun). */
#pragma once

int oci_main(int argc, char **argv);
