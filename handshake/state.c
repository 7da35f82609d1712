/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Names of the engine's connection states, for counters and logs (as s2n's
 * message_names): an operator reads where handshakes fail, e.g.
 * failed_in_tls12_client_key_exchange, without a debugger.
 */
#include "engine_priv.h"

static const char *const names[] = {
	[ST_CLIENT_HELLO] = "client_hello",
	[ST13_CLIENT_HELLO2] = "tls13_client_hello_after_hrr",
	[ST13_ECDHE_JOB] = "tls13_ecdhe",
	[ST13_HS_KEYS_JOB] = "tls13_handshake_keys",
	[ST13_SF_JOB] = "tls13_server_finished",
	[ST13_AP_KEYS_JOB] = "tls13_application_keys",
	[ST13_CLIENT_FINISHED] = "tls13_client_finished",
	[ST13_BINDER_JOB] = "tls13_psk_binder",
	[ST13_RES_JOB] = "tls13_resumption_secret",
	[ST12_SKE_JOB] = "tls12_server_key_exchange",
	[ST12_CKE] = "tls12_client_key_exchange",
	[ST12_PMS_JOB] = "tls12_premaster",
	[ST12_KEYS_JOB] = "tls12_keys",
	[ST12_CCS] = "tls12_change_cipher_spec",
	[ST12_CLIENT_FINISHED] = "tls12_client_finished",
	[ST12_SF_JOB] = "tls12_server_finished",
	[ST12_RESUME_JOB] = "tls12_resume_keys",
	[ST12_RESUME_CF_JOB] = "tls12_resume_client_finished",
	[STC_INIT] = "client_init",
	[STC_HELLO_JOB] = "client_key_shares",
	[STC_BINDER_JOB] = "client_psk_binder",
	[STC_SERVER_HELLO] = "client_server_hello",
	[STC13_SH_JOB] = "client13_handshake_keys",
	[STC13_EE] = "client13_encrypted_extensions",
	[STC13_CERT] = "client13_certificate",
	[STC13_CERT_JOB] = "client13_certificate_check",
	[STC13_CV] = "client13_certificate_verify",
	[STC13_CV_JOB] = "client13_signature_check",
	[STC13_FINISHED] = "client13_server_finished",
	[STC13_AP_JOB] = "client13_application_keys",
	[STC13_RES_JOB] = "client13_resumption_secret",
	[STC12_CERT] = "client12_certificate",
	[STC12_CERT_JOB] = "client12_certificate_check",
	[STC12_SKE] = "client12_server_key_exchange",
	[STC12_SHD] = "client12_server_hello_done",
	[STC12_KX_JOB] = "client12_key_exchange",
	[STC12_KEYS_JOB] = "client12_keys",
	[STC12_CCS] = "client12_change_cipher_spec",
	[STC12_FINISHED] = "client12_server_finished",
	[STC12_SF_JOB] = "client12_server_finished_check",
	[STC12_RESUME_KEYS_JOB] = "client12_resume_keys",
	[STC12_RESUME_CF_JOB] = "client12_resume_client_finished",
	[ST_ESTABLISHED] = "established",
	[ST_CLOSED] = "closed",
	[ST_FAILED] = "failed",
};

_Static_assert(sizeof(names) / sizeof(names[0]) == HS_STATE_NUM,
	       "HS_STATE_NUM and enum hs_state disagree");
_Static_assert(ST_FAILED + 1 == HS_STATE_NUM, "a state without a name");

const char *
hs_state_name(unsigned state)
{
	return state < HS_STATE_NUM && names[state] != NULL ? names[state] : "?";
}
