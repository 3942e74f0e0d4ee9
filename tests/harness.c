/*
 * Running rhq as a child process for the system tests.  Each test runs in a
 * process of its own (Check forks), so the globals here are per test.
 */
#define _GNU_SOURCE
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

char harness_base_url[256];

double
clock_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

void
nap(double seconds)
{
	struct timespec ts = { (time_t)seconds, (long)((seconds - (time_t)seconds) * 1e9) };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int
wrapped(void)
{
	const char *w = getenv("RHQ_WRAPPER");

	return w != NULL && *w != '\0';
}

double
harness_timeout(void)
{
	/* valgrind makes every run many times slower. */
	return wrapped() ? 120 : 30;
}

/* Time limits are meant for a native run; a wrapper (valgrind) gets more. */
double
slack(double seconds)
{
	return wrapped() ? seconds * 20 : seconds;
}

static void
die(const char *what)
{
	perror(what);
	abort();
}

static int
env_overridden(const char *const env[], const char *name)
{
	size_t n = strcspn(name, "=");

	for (; env && *env; env++)
		if (strncmp(*env, name, n) == 0 && ((*env)[n] == '=' || (*env)[n] == '\0'))
			return 1;
	return 0;
}

/* Adds "NAME=value" from our own variable `from` to envp, when it is set. */
static int
pass_env(char *envp[], int ne, const char *name, const char *from, char *buf, size_t size)
{
	const char *v = getenv(from);

	if (v == NULL)
		return ne;
	snprintf(buf, size, "%s=%s", name, v);
	envp[ne] = buf;
	return ne + 1;
}

/* In the child: its descriptors and signals as s->how asks, then rhq. */
static void
child(const struct spawn *s, int pin[2], int pout[2], int perr[2], char *args[],
    char *envp[])
{
	int i, fd;

	if (s->shell != NULL)
		setpgid(0, 0);		/* a timeout kills the whole pipeline */
	dup2(pin[0], 0);
	dup2(pout[1], 1);
	dup2(perr[1], 2);
	for (i = 3; i < 1024; i++)
		close(i);
	signal(SIGPIPE, SIG_DFL);
	if (s->how & HOW_SIGINT_IGNORED)
		signal(SIGINT, SIG_IGN);
	if (s->how & HOW_STDIN_CLOSED)
		close(0);
	if (s->how & HOW_STDOUT_CLOSED)
		close(1);
	if (s->how & HOW_STDOUT_FULL) {
		if ((fd = open("/dev/full", O_WRONLY)) < 0)
			_exit(127);
		dup2(fd, 1);
		close(fd);
	}
	execvpe(args[0], args, envp);
	_exit(127);
}

void
proc_spawn(struct proc *p, const struct spawn *s)
{
	static char base[300], path[4096], asan[512], ubsan[512], rhqvar[1024];
	const char *cmd = getenv("RHQ"), *wrap = getenv("RHQ_WRAPPER");
	const char *const *e, *const *a;
	char *envp[64], *args[128], *w, *save, *wcopy = NULL;
	int pin[2], pout[2], perr[2], ne = 0, na = 0;

	memset(p, 0, sizeof *p);
	cmd = cmd && *cmd ? cmd : "./rhq";
	snprintf(base, sizeof base, "RUNNINGHUB_BASE_URL=%s", harness_base_url);
	if (!env_overridden(s->env, "RUNNINGHUB_API_KEY"))
		envp[ne++] = "RUNNINGHUB_API_KEY=testkey";
	if (!env_overridden(s->env, "RUNNINGHUB_BASE_URL"))
		envp[ne++] = base;
	if (!env_overridden(s->env, "PATH"))
		ne = pass_env(envp, ne, "PATH", "PATH", path, sizeof path);
	/* The sanitizer settings meant for rhq, not for this test program. */
	ne = pass_env(envp, ne, "ASAN_OPTIONS", "RHQ_ASAN_OPTIONS", asan, sizeof asan);
	ne = pass_env(envp, ne, "UBSAN_OPTIONS", "RHQ_UBSAN_OPTIONS", ubsan, sizeof ubsan);
	for (e = s->env; e && *e && ne < 62; e++)
		if (strchr(*e, '='))
			envp[ne++] = (char *)*e;

	if (s->shell != NULL) {
		/* The script runs rhq as $RHQ, wrapper and all. */
		snprintf(rhqvar, sizeof rhqvar, "RHQ=%s%s%s", wrap && *wrap ? wrap : "",
		    wrap && *wrap ? " " : "", cmd);
		envp[ne++] = rhqvar;
		args[na++] = "/bin/sh";
		args[na++] = "-c";
		args[na++] = (char *)s->shell;
	} else {
		if (s->instead != NULL) {
			for (a = s->instead; *a && na < 100; a++)
				args[na++] = (char *)*a;
		} else {
			if (wrap && *wrap) {
				if ((wcopy = strdup(wrap)) == NULL)
					die("strdup");
				for (w = strtok_r(wcopy, " ", &save); w && na < 100;
				    w = strtok_r(NULL, " ", &save))
					args[na++] = w;
			}
			args[na++] = (char *)cmd;
		}
		for (a = s->argv; a && *a && na < 127; a++)
			args[na++] = (char *)*a;
	}
	args[na] = NULL;
	envp[ne] = NULL;

	if (pipe(pin) < 0 || pipe(pout) < 0 || pipe(perr) < 0)
		die("pipe");
	p->start = clock_now();
	if ((p->pid = fork()) < 0)
		die("fork");
	if (p->pid == 0)
		child(s, pin, pout, perr, args, envp);
	if ((p->group = s->shell != NULL))
		setpgid(p->pid, p->pid);	/* as the child does: whichever comes first */
	close(pin[0]);
	close(pout[1]);
	close(perr[1]);
	p->in = pin[1];
	p->out = pout[0];
	p->err = perr[0];
	/* What the child does not have, we need not keep: no write to a closed stdin. */
	if (s->how & HOW_STDIN_CLOSED) {
		close(p->in);
		p->in = -1;
	}
	if (p->in >= 0)
		fcntl(p->in, F_SETFL, O_NONBLOCK);
	p->out_buf = calloc(1, 1);
	p->err_buf = calloc(1, 1);
	free(wcopy);
}

void
proc_start(struct proc *p, const char *const env[], const char *const argv[])
{
	proc_spawn(p, &(struct spawn){ .argv = argv, .env = env });
}

/* Reads whatever is ready on fd into a growing buffer; 0 at EOF. */
static int
slurp(int fd, char **buf, size_t *len)
{
	char chunk[65536];
	ssize_t n = read(fd, chunk, sizeof chunk);

	if (n < 0)
		return errno == EINTR || errno == EAGAIN;
	if (n == 0)
		return 0;
	if ((*buf = realloc(*buf, *len + n + 1)) == NULL)
		die("realloc");
	memcpy(*buf + *len, chunk, n);
	*len += n;
	(*buf)[*len] = '\0';
	return 1;
}

/* One round of I/O: pending stdin bytes out, output in.  Returns 0 when both outputs ended. */
static const char *pending;
static size_t pending_len;

static int
pump(struct proc *p, int ms)
{
	struct pollfd fds[3];
	int n = 0, iw = -1, io = -1, ie = -1;
	ssize_t w;

	if (p->in >= 0 && pending_len > 0) {
		fds[n] = (struct pollfd){ p->in, POLLOUT, 0 };
		iw = n++;
	}
	if (p->out >= 0) {
		fds[n] = (struct pollfd){ p->out, POLLIN, 0 };
		io = n++;
	}
	if (p->err >= 0) {
		fds[n] = (struct pollfd){ p->err, POLLIN, 0 };
		ie = n++;
	}
	if (n == 0)
		return 0;
	if (poll(fds, n, ms) <= 0)
		return 1;
	if (iw >= 0 && fds[iw].revents) {
		w = write(p->in, pending, pending_len);
		if (w > 0) {
			pending += w;
			pending_len -= w;
		} else if (w < 0 && errno != EAGAIN && errno != EINTR) {
			pending_len = 0;	/* rhq stopped reading: fine. */
		}
	}
	if (io >= 0 && fds[io].revents && !slurp(p->out, &p->out_buf, &p->out_len)) {
		close(p->out);
		p->out = -1;
	}
	if (ie >= 0 && fds[ie].revents && !slurp(p->err, &p->err_buf, &p->err_len)) {
		close(p->err);
		p->err = -1;
	}
	return p->out >= 0 || p->err >= 0;
}

void
proc_write(struct proc *p, const char *data, size_t len)
{
	double end = clock_now() + harness_timeout();

	pending = data;
	pending_len = len;
	while (pending_len > 0 && clock_now() < end && pump(p, 100))
		;
	pending_len = 0;
}

size_t
count_lines(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

int
proc_wait_lines(struct proc *p, size_t lines, double seconds)
{
	double end = clock_now() + seconds;

	while (count_lines(p->out_buf) < lines && clock_now() < end && pump(p, 50))
		;
	return count_lines(p->out_buf) >= lines;
}

int
proc_wait_err(struct proc *p, const char *text, double seconds)
{
	double end = clock_now() + seconds;

	while (strstr(p->err_buf, text) == NULL && clock_now() < end && pump(p, 50))
		;
	return strstr(p->err_buf, text) != NULL;
}

double
proc_wait_end(struct proc *p, double seconds)
{
	double t0 = clock_now(), end = t0 + seconds;

	while (clock_now() < end && pump(p, 50))
		;
	return clock_now() - t0;
}

void
proc_finish(struct proc *p, double seconds)
{
	double end = clock_now() + seconds;
	struct rusage ru;
	int st, killed = 0;

	if (p->in >= 0) {
		close(p->in);
		p->in = -1;
	}
	while (pump(p, 100))
		if (clock_now() > end) {
			kill(p->group ? -p->pid : p->pid, SIGKILL);
			killed = 1;
			break;
		}
	if (wait4(p->pid, &st, 0, &ru) < 0)
		die("wait4");
	p->took = clock_now() - p->start;
	p->maxrss_kib = ru.ru_maxrss;
	if (killed)
		p->status = -1;
	else if (WIFEXITED(st))
		p->status = WEXITSTATUS(st);
	else
		p->status = 128 + WTERMSIG(st);
}

void
proc_free(struct proc *p)
{
	if (p->in >= 0)
		close(p->in);
	if (p->out >= 0)
		close(p->out);
	if (p->err >= 0)
		close(p->err);
	free(p->out_buf);
	free(p->err_buf);
}

void
rhq_run(struct proc *p, const char *in, const char *const env[], const char *const argv[])
{
	proc_start(p, env, argv);
	if (in != NULL)
		proc_write(p, in, strlen(in));
	proc_finish(p, harness_timeout());
}

char *
file_text(const char *path)
{
	char *text = NULL;
	size_t len = 0;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return NULL;
	if ((text = calloc(1, 1)) == NULL)
		die("calloc");
	while (slurp(fd, &text, &len) > 0)
		;
	close(fd);
	return text;
}

/* The temporary directory of this test process, removed when it ends. */
static char tmpdir[256];
static pid_t tmpdir_owner;

static int
remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path) < 0 ? -1 : 0;
}

static void
remove_tmpdir(void)
{
	/* Only in the process that made it, not in a child forked from it. */
	if (getpid() == tmpdir_owner)
		nftw(tmpdir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

const char *
harness_file(const char *name, const char *contents, size_t len, int mode)
{
	static char path[512];
	const char *tmp = getenv("TMPDIR");
	FILE *f;

	if (tmpdir[0] == '\0') {
		snprintf(tmpdir, sizeof tmpdir, "%s/rhq-test.XXXXXX", tmp && *tmp ? tmp : "/tmp");
		if (mkdtemp(tmpdir) == NULL)
			die("mkdtemp");
		tmpdir_owner = getpid();
		atexit(remove_tmpdir);
	}
	if (len == 0)
		len = strlen(contents);
	snprintf(path, sizeof path, "%s/%s", tmpdir, name);
	if ((f = fopen(path, "w")) == NULL)
		die(path);
	if (fwrite(contents, 1, len, f) != len || fclose(f) == EOF || chmod(path, mode) < 0)
		die(path);
	return path;
}
