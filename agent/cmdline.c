#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cmdline.h"
#include "log.h"

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Splits the word at p in place, with the kernel's rules (lib/cmdline.c
 * next_arg): a leading quote protects the whole word, a quote right after
 * '=' protects the value; blanks inside quotes do not split. Returns the
 * start of the next word. */
static char *next_word(char *p, struct cmdline_arg *arg)
{
	size_t i, equals = 0;
	int in_quote = 0, quoted = 0;

	if (*p == '"') {
		p++;
		in_quote = 1;
		quoted = 1;
	}
	for (i = 0; p[i] != '\0'; i++) {
		if (is_blank(p[i]) && !in_quote) {
			break;
		}
		if (equals == 0 && p[i] == '=') {
			equals = i;
		}
		if (p[i] == '"') {
			in_quote = !in_quote;
		}
	}
	arg->key = p;
	arg->val = NULL;
	if (equals != 0) {
		p[equals] = '\0';
		arg->val = p + equals + 1;
		if (*arg->val == '"') {
			arg->val++;
			if (p[i - 1] == '"') {
				p[i - 1] = '\0';
			}
		}
	}
	if (quoted && i > 0 && p[i - 1] == '"') {
		p[i - 1] = '\0';
	}
	if (p[i] != '\0') {
		p[i] = '\0';
		p += i + 1;
	} else {
		p += i;
	}
	while (is_blank(*p)) {
		p++;
	}
	return p;
}

static int quotes_balanced(const char *s, size_t *bad)
{
	int in_quote = 0;
	size_t i, open = 0;

	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] == '"') {
			in_quote = !in_quote;
			open = i;
		}
	}
	*bad = open;
	return !in_quote;
}

int cmdline_parse(const char *s, struct cmdline *cl, char *err, size_t errlen)
{
	size_t n, max, bad = 0;
	char *p = NULL;

	memset(cl, 0, sizeof(*cl));
	n = strlen(s);
	cl->buf = malloc(n + 1);
	if (cl->buf == NULL) {
		goto err_alloc;
	}
	memcpy(cl->buf, s, n + 1);
	max = n / 2 + 1;
	cl->args = calloc(max, sizeof(*cl->args));
	if (cl->args == NULL) {
		goto err_alloc;
	}
	p = cl->buf;
	while (is_blank(*p)) {
		p++;
	}
	while (*p != '\0' && cl->count < max) {
		p = next_word(p, &cl->args[cl->count++]);
	}
	if (!quotes_balanced(s, &bad)) {
		/* Parsed as the kernel does (the quote runs to the end), but say so. */
		lb_err(err, errlen, "unterminated double quote at offset %zu", bad);
		return -EINVAL;
	}
	return 0;

err_alloc:
	cmdline_free(cl);
	lb_err(err, errlen, "out of memory");
	return -ENOMEM;
}

void cmdline_free(struct cmdline *cl)
{
	free(cl->args);
	free(cl->buf);
	memset(cl, 0, sizeof(*cl));
}
