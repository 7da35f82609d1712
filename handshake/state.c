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
