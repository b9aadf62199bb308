#include "migration/config.h"

#include "util/fileio.h"
#include "util/number.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct config_parse {
	struct arena *arena;
	struct config *cfg;
	struct mg_error *err;
	const char *text;
	int line;
	bool failed;
};

static void add_rule(struct config_parse *p, const char *rule, size_t len, const char *value)
{
	while (len && isspace((unsigned char)*rule)) {
		rule++;
		len--;
	}
	while (len && isspace((unsigned char)rule[len - 1]))
		len--;
	if (!len)
		return;
	struct config *cfg = p->cfg;
	ARENA_GROW(p->arena, cfg->rules, cfg->n_rules, cfg->alloc_rules, cfg->n_rules + 1);
	struct config_rule_setting *s = &cfg->rules[cfg->n_rules++];
	s->rule = arena_strndup(p->arena, rule, len);
	s->value = arena_strdup(p->arena, value);
	s->line = p->line;
}

static void add_rule_list(struct config_parse *p, const char *list, const char *value)
{
	while (*list) {
		size_t n = strcspn(list, ",");
		add_rule(p, list, n, value);
		list += n;
		if (*list == ',')
			list++;
	}
}

/*
 * Debian's inih is built without INI_HANDLER_LINENO, so the handler is not
 * told its line: find the line that sets `name` in [section] ourselves, for
 * error messages that point at it.
 */
static int setting_line(const struct config_parse *p, const char *section, const char *name)
{
	const char *t = p->text;
	int line = 1;
	bool in_section = false;
	size_t n = strlen(name);
	while (*t) {
		const char *s = t;
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '[') {
			size_t k = strlen(section);
			in_section = strncmp(s + 1, section, k) == 0 && s[1 + k] == ']';
		} else if (in_section && strncmp(s, name, n) == 0 &&
			   (s[n] == '=' || s[n] == ' ' || s[n] == '\t' || s[n] == ':')) {
			return line;
		}
		const char *nl = strchr(t, '\n');
		if (!nl)
			break;
		t = nl + 1;
		line++;
	}
	return 0;
}

/* `target "orders"` (or 'orders', or bare orders): the name, else NULL. */
static const char *target_section_name(struct arena *a, const char *section)
{
	if (strncmp(section, "target", 6) != 0 || (section[6] != ' ' && section[6] != '\t'))
		return NULL;
	const char *s = section + 6;
	while (*s == ' ' || *s == '\t')
		s++;
	size_t len = strlen(s);
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	if (len >= 2 && (s[0] == '"' || s[0] == '\'') && s[len - 1] == s[0]) {
		s++;
		len -= 2;
	}
	if (!len)
		return NULL;
	for (size_t i = 0; i < len; i++)
		if (!(isalnum((unsigned char)s[i]) || s[i] == '_' || s[i] == '-' || s[i] == '.'))
			return NULL;
	return arena_strndup(a, s, len);
}

const struct config_target *config_target_find(const struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->n_targets; i++)
		if (strcmp(cfg->targets[i].name, name) == 0)
			return &cfg->targets[i];
	return NULL;
}

static int target_setting(struct config_parse *p, const char *section, const char *name,
			  const char *value, int line)
{
	struct config *cfg = p->cfg;
	const char *tname = target_section_name(p->arena, section);
	if (!tname) {
		mg_error_set_at(p->err, 2, cfg->path, line, 1,
				"a target section is [target \"NAME\"] (letters, digits, _ - .), "
				"not [%s]",
				section);
		p->failed = true;
		return 0;
	}
	struct config_target *t = (struct config_target *)config_target_find(cfg, tname);
	if (!t) {
		ARENA_GROW(p->arena, cfg->targets, cfg->n_targets, cfg->alloc_targets,
			   cfg->n_targets + 1);
		t = &cfg->targets[cfg->n_targets++];
		memset(t, 0, sizeof(*t));
		t->name = tname;
		t->line = line;
	}
	const char **slot = strcmp(name, "db") == 0 || strcmp(name, "url") == 0 ? &t->db
			    : strcmp(name, "dir") == 0				? &t->dir
										: NULL;
	if (!slot) {
		mg_error_set_at(p->err, 2, cfg->path, line, 1,
				"unknown setting '%s' in [%s]: a target takes db and dir", name,
				section);
		p->failed = true;
		return 0;
	}
	if (*slot) {
		mg_error_set_at(p->err, 2, cfg->path, line, 1, "target '%s' sets %s twice", tname,
				name);
		p->failed = true;
		return 0;
	}
	*slot = arena_strdup(p->arena, value);
	return 1;
}

static int config_handler(void *user, const char *section, const char *name, const char *raw)
{
	struct config_parse *p = user;
	struct config *cfg = p->cfg;
	int line = setting_line(p, section, name);
	p->line = line;
	if (p->failed)
		return 0;
	/* url = "sqlite:app.db" and url = 'sqlite:app.db' mean url = sqlite:app.db */
	const char *value = raw;
	size_t len = strlen(raw);
	if (len >= 2 && (raw[0] == '"' || raw[0] == '\'') && raw[len - 1] == raw[0])
		value = arena_strndup(p->arena, raw + 1, len - 2);
	if (strcmp(section, "database") == 0 && strcmp(name, "url") == 0) {
		cfg->db_url = arena_strdup(p->arena, value);
	} else if (strcmp(section, "database") == 0 && strcmp(name, "max_replica_lag") == 0) {
		cfg->max_replica_lag = arena_strdup(p->arena, value);
		cfg->max_replica_lag_line = line;
	} else if (strcmp(section, "database") == 0 && strcmp(name, "history_schema") == 0) {
		cfg->history_schema = arena_strdup(p->arena, value);
	} else if (strcmp(section, "migrations") == 0 && strcmp(name, "dir") == 0) {
		cfg->dir = arena_strdup(p->arena, value);
	} else if (strcmp(section, "migrations") == 0 && strcmp(name, "versions") == 0) {
		if (strcmp(value, "sequential") == 0) {
			cfg->versions = CONFIG_VERSIONS_SEQUENTIAL;
		} else if (strcmp(value, "timestamp") == 0) {
			cfg->versions = CONFIG_VERSIONS_TIMESTAMP;
		} else {
			mg_error_set_at(p->err, 2, cfg->path, line, 1,
					"versions is sequential or timestamp, not '%s'", value);
			p->failed = true;
			return 0;
		}
	} else if (strcmp(section, "migrations") == 0 && strcmp(name, "strict_order") == 0) {
		if (strcmp(value, "true") == 0) {
			cfg->strict_order = true;
		} else if (strcmp(value, "false") == 0) {
			cfg->strict_order = false;
		} else {
			mg_error_set_at(p->err, 2, cfg->path, line, 1,
					"strict_order is true or false, not '%s'", value);
			p->failed = true;
			return 0;
		}
	} else if (strcmp(section, "lint") == 0 && strcmp(name, "postgres_version") == 0) {
		int64_t v;
		if (!number_parse(value, 9, 99, &v)) {
			mg_error_set_at(p->err, 2, cfg->path, line, 1,
					"postgres_version must be a major version such as 15, not "
					"'%s'",
					value);
			p->failed = true;
			return 0;
		}
		cfg->pg_version = (int)v;
	} else if (strcmp(section, "lint") == 0 && strcmp(name, "enable") == 0) {
		add_rule_list(p, value, "on");
	} else if (strcmp(section, "lint") == 0 && strcmp(name, "disable") == 0) {
		add_rule_list(p, value, "off");
	} else if (strncmp(section, "target", 6) == 0 &&
		   (section[6] == ' ' || section[6] == '\t' || section[6] == '\0')) {
		return target_setting(p, section, name, value, line);
	} else if (strcmp(section, "rules") == 0) {
		if (strcmp(value, "on") && strcmp(value, "off") && strcmp(value, "error") &&
		    strcmp(value, "warning")) {
			mg_error_set_at(p->err, 2, cfg->path, line, 1,
					"rule '%s': '%s' is not one of on, off, error, warning",
					name, value);
			p->failed = true;
			return 0;
		}
		add_rule(p, name, strlen(name), value);
	} else {
		mg_error_set_at(p->err, 2, cfg->path, line, 1, "unknown setting '%s' in [%s]", name,
				section);
		p->failed = true;
		return 0;
	}
	return 1;
}

int config_load(struct arena *a, const char *path, struct config *ret, struct mg_error *err)
{
	memset(ret, 0, sizeof(*ret));
	if (access(path, F_OK) < 0 && errno == ENOENT)
		return 0;
	char *text;
	size_t len;
	if (file_read_all(a, path, &text, &len, err) < 0)
		return -1;
	ret->path = arena_strdup(a, path);
	struct config_parse p = {a, ret, err, text, 0, false};
	int rc = ini_parse_string(text, config_handler, &p);
	if (p.failed)
		return -1;
	if (rc > 0)
		return mg_error_set_at(err, 2, path, rc, 1, "cannot parse this line");
	if (rc < 0)
		return mg_error_set(err, 2, "cannot read '%s'", path);
	for (size_t i = 0; i < ret->n_targets; i++)
		if (!ret->targets[i].db || !*ret->targets[i].db)
			return mg_error_set_at(err, 2, path, ret->targets[i].line, 1,
					       "target '%s' has no db = URL", ret->targets[i].name);
	return 0;
}
