/* The admin interface over HTTP: the gate every admin route passes (the
 * listener, the Host header, then an admin token as Authorization: Bearer
 * or a browser's login), and the login and logout a browser uses.
 * "login" is the browser's signed-in state (a "session" is only ever a
 * rescue session, core/session.h). Logins live in memory (a restart signs
 * everyone out); the cookie (named lifeboat_session for the browsers that
 * hold one) is HttpOnly, SameSite=Strict, and Secure over TLS. */
#ifndef LIFEBOAT_LOGIN_H
#define LIFEBOAT_LOGIN_H

#include "lifeboatd/http.h"

#define LOGIN_COOKIE "lifeboat_session" /* the name browsers know */
#define LOGIN_SECONDS (12 * 3600)

/* 0 with the admin's name, or the answer already queued in *ret (421,
 * 403, 401 with the login form or a plain reason). */
int admin_gate(struct MHD_Connection *c, struct req *r, char name[33], enum MHD_Result *ret);

/* For an answer that lasts (a live console): the credential the gate let
 * through, copied ("" on the control socket), and checked again later: 0
 * while it holds, -ENOENT once revoked or ended, another -errno when the
 * database cannot say. */
#define ADMIN_CREDENTIAL_MAX 160
int admin_credential(struct MHD_Connection *c, char out[ADMIN_CREDENTIAL_MAX]);
int admin_recheck(const char *cred);

/* The form token of the request's browser login: the hex
 * SHA-256 of "csrf:" and the login's cookie (so a page from elsewhere,
 * which cannot read the cookie, cannot know it). 0, or -1 when the
 * request carries no valid login (a Bearer client: no forms). */
int login_csrf(struct MHD_Connection *c, char out[65]);

/* 1 when the form field csrf matches login_csrf (constant time). */
int login_csrf_ok(struct MHD_Connection *c, const char *form);

/* 303 See Other to `to` (a page the browser then GETs), with a cookie. */
enum MHD_Result login_redirect(struct MHD_Connection *c, struct req *r, const char *to, const char *set_cookie);

enum MHD_Result handle_login_form(struct MHD_Connection *c, struct req *r, const char *rest);
enum MHD_Result handle_login(struct MHD_Connection *c, struct req *r, const char *rest);
enum MHD_Result handle_logout(struct MHD_Connection *c, struct req *r, const char *rest);

#endif
