#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Run one tlsfuzzer script (tlsfuzzer._apps.<name>) with two adjustments
tlsfuzzer has no option for. Its code is not copied: it is imported from
the tlsfuzzer and tlslite-ng work trees on PYTHONPATH.

  shim.py [--alias MAP] [--list] SCRIPT [script args...]

--alias cbc-gcm     Scripts that hard-code CBC/SHA-1 suites (hso implements
                    AEAD only, RFC 7525 / RFC 9325 4.2) get the AES-GCM suite
                    of the same key exchange and key size wherever they name
                    a CBC one: the CipherSuite attributes are rebound before
                    the script runs, tlslite's internals (which work on the
                    numbers) are left alone.
--alias ecdsa       For a server with an ECDSA P-256 certificate, scripts
                    written for an RSA one: the CBC suites as above, and
                    ECDHE_RSA suites (CBC, GCM, ChaCha20) become the ECDHE_ECDSA
                    ones; RSA signature schemes (rsa_pss_rsae_*, rsa_pss_pss_*,
                    rsa_pkcs1_*) become ECDSA ones with the same hash
                    (ecdsa_secp256r1_sha256 where TLS 1.3 binds the curve).
                    Only the SignatureScheme and CipherSuite names the scripts
                    use are rebound; tlslite's tables keep their values.
--list              Print the script's probe names, one a line, without
                    connecting anywhere (Runner.run is a no-op), so that the
                    conformance runner can expand exclusion patterns into the
                    exact names the script's -e option takes.
"""
import io
import re
import runpy
import sys

CBC_GCM = {
    "TLS_RSA_WITH_AES_128_CBC_SHA": "TLS_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_RSA_WITH_AES_128_CBC_SHA256": "TLS_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_RSA_WITH_AES_256_CBC_SHA": "TLS_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_RSA_WITH_AES_256_CBC_SHA256": "TLS_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA": "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256": "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA": "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384": "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA": "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256": "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA": "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384": "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
}


# RSA signature schemes -> ECDSA ones a P-256 key makes (TLS 1.2 takes any
# hash with any curve; TLS 1.3 scripts name the SHA-256 ones).
RSA_ECDSA = {
    "rsa_pss_rsae_sha256": "ecdsa_secp256r1_sha256",
    "rsa_pss_pss_sha256": "ecdsa_secp256r1_sha256",
    "rsa_pss_rsae_sha384": "ecdsa_secp384r1_sha384",
    "rsa_pss_pss_sha384": "ecdsa_secp384r1_sha384",
    "rsa_pss_rsae_sha512": "ecdsa_secp521r1_sha512",
    "rsa_pss_pss_sha512": "ecdsa_secp521r1_sha512",
    "rsa_pkcs1_sha1": "ecdsa_sha1",
    "rsa_pkcs1_sha224": "ecdsa_sha224",
    "rsa_pkcs1_sha256": "ecdsa_secp256r1_sha256",
    "rsa_pkcs1_sha384": "ecdsa_secp384r1_sha384",
    "rsa_pkcs1_sha512": "ecdsa_secp521r1_sha512",
}


def alias(kind):
    from tlslite.constants import CipherSuite, SignatureScheme

    if kind not in ("cbc-gcm", "ecdsa"):
        sys.exit("shim.py: unknown alias " + kind)
    for cbc, gcm in CBC_GCM.items():
        if kind == "ecdsa":
            gcm = gcm.replace("ECDHE_RSA", "ECDHE_ECDSA")
        setattr(CipherSuite, cbc, getattr(CipherSuite, gcm))
    if kind != "ecdsa":
        return
    for name in dir(CipherSuite):
        if name.startswith("TLS_ECDHE_RSA_WITH_") and \
                hasattr(CipherSuite, name.replace("ECDHE_RSA", "ECDHE_ECDSA")):
            setattr(CipherSuite, name,
                    getattr(CipherSuite, name.replace("ECDHE_RSA", "ECDHE_ECDSA")))
    swap = {}
    for rsa, ec in RSA_ECDSA.items():
        swap[getattr(SignatureScheme, rsa)] = getattr(SignatureScheme, ec)
        setattr(SignatureScheme, rsa, getattr(SignatureScheme, ec))
    # tlsfuzzer.helpers built its lists from the old names when it was
    # imported (preload() imports it first): rebuild them the same way.
    helpers = sys.modules.get("tlsfuzzer.helpers")
    if helpers is not None:
        for name in ("RSA_SIG_ALL", "RSA_PSS_PSS_ALL", "RSA_PSS_RSAE_ALL"):
            setattr(helpers, name, [swap.get(v, v) for v in getattr(helpers, name)])


def run(script, args, alias_kind=None, listing=False):
    """Run tlsfuzzer script SCRIPT (e.g. test-tls13-hrr) with ARGS in this
    process; with LISTING print its probe names instead. Returns the exit
    status. Run it in a process of its own (run.py forks one per script):
    the aliases and a listing's stubs change tlslite and tlsfuzzer for good.
    """
    if alias_kind:
        alias(alias_kind)
    module = "tlsfuzzer._apps." + script.replace("-", "_").removesuffix(".py")
    sys.argv = [script] + list(args)
    if not listing:
        try:
            runpy.run_module(module, run_name="__main__", alter_sys=True)
        except SystemExit as e:
            return e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        return 0
    from tlsfuzzer import runner

    runner.Runner.run = lambda self: None
    out, real = io.StringIO(), sys.stdout
    sys.stdout = out
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    except (SystemExit, Exception):     # pylint: disable=broad-except
        # Scripts that loop on results (test-ecdhe-padded-shared-secret)
        # trip over the missing ones after printing every name: fine here.
        pass
    finally:
        sys.stdout = real
    seen = set()
    for line in out.getvalue().splitlines():
        # 'name ...', or '"name" repeat N...' for scripts that repeat probes
        m = re.match(r'^(.*) \.\.\.$', line) or \
            re.match(r'^"(.*)" repeat \d+\.\.\.$', line)
        if m and m.group(1) not in seen:
            seen.add(m.group(1))
            print(m.group(1))
    return 0


def preload():
    """Import what every script imports, so that a forked child starts at
    once (run.py): tlslite with its OpenSSL and GMP back ends, tlsfuzzer."""
    # pylint: disable=import-outside-toplevel,unused-import
    import tlslite.api  # noqa: F401
    import tlsfuzzer.expect  # noqa: F401
    import tlsfuzzer.helpers  # noqa: F401
    import tlsfuzzer.messages  # noqa: F401
    import tlsfuzzer.runner  # noqa: F401
    import tlsfuzzer.utils.lists  # noqa: F401


def main():
    argv = sys.argv[1:]
    listing = False
    kind = None
    while argv and argv[0].startswith("--"):
        if argv[0] == "--alias" and len(argv) > 1:
            kind = argv[1]
            argv = argv[2:]
        elif argv[0] == "--list":
            listing = True
            argv = argv[1:]
        else:
            sys.exit("shim.py: unknown option " + argv[0])
    if not argv:
        sys.exit(__doc__)
    sys.exit(run(argv[0], argv[1:], kind, listing))


if __name__ == "__main__":
    main()
