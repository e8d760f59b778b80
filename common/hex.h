/* One hex digit's value, for the parsers of the agent (BOOTIF=,
 * lifeboat.tlspin=) and the server (${x:hexhyp}, form fields). */
#ifndef LIFEBOAT_HEX_H
#define LIFEBOAT_HEX_H

/* 0-15, or -1 when c is not a hex digit. */
static inline int hex_value(char c)
{
	if (c >= '0' && c <= '9') {
		return c - '0';
	}
	if (c >= 'a' && c <= 'f') {
		return c - 'a' + 10;
	}
	if (c >= 'A' && c <= 'F') {
		return c - 'A' + 10;
	}
	return -1;
}

#endif
