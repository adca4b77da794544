#!/usr/bin/env bash
# A one-node Slurm on 127.0.0.1 for the sweep test (tools/test_slurm.sh): Debian's slurm-wlm
# with munge, select/cons_tres with CR_CPU, proctrack/linuxproc, task/none, no accounting
# database; the node line from `slurmd -C`. Traffic stays on the loopback address.
#
#   tools/local_slurm.sh start [--yes]   install slurm-wlm when missing (apt-get), write
#                                        /etc/slurm/slurm.conf, start munge, slurmctld and
#                                        slurmd, wait until the node is idle
#   tools/local_slurm.sh stop            stop the daemons again (slurm.conf stays)
#   tools/local_slurm.sh check           exit 0 when `start` may run here, else say why (exit 3)
#
# It changes the machine (packages, /etc/slurm, daemons), so it runs only as root on Debian
# unless told --yes (or HITS_SLURM_YES=1); otherwise it says why and exits 3, which the test
# reports as "skipped". A Slurm already running here is used as it is (its slurm.conf is not
# touched) when `sinfo` answers, and then `stop` leaves it running too.
set -euo pipefail
cmd=${1:-start}
yes=${HITS_SLURM_YES:-0}
[ "${2:-}" = "--yes" ] && yes=1
state=/var/lib/slurm/hits-local
marker=$state/started-by-hits

refuse() { # refuse REASON: cannot (or may not) run here
    echo "local_slurm.sh: $1" >&2
    exit 3
}

may_run() {
    if [ "$yes" != 1 ]; then
        [ "$(id -u)" = 0 ] || refuse "not root (it installs packages and starts daemons); run as root or pass --yes"
        [ -f /etc/debian_version ] || refuse "not a Debian system (it installs Debian's slurm-wlm); pass --yes to try anyway"
    fi
    command -v slurmctld >/dev/null || command -v apt-get >/dev/null ||
        refuse "slurm-wlm is not installed and there is no apt-get to install it"
}

case "$cmd" in
check)
    may_run
    echo "local_slurm.sh: may start a local Slurm here"
    ;;
start)
    if command -v sinfo >/dev/null && timeout 5 sinfo -h >/dev/null 2>&1; then
        echo "local_slurm.sh: a Slurm is already running here; using it"
        sinfo
        exit 0
    fi
    may_run
    if ! command -v slurmctld >/dev/null; then
        echo "local_slurm.sh: installing slurm-wlm (about a minute)"
        apt-get update -qq || refuse "apt-get update failed (no network?)"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm >/dev/null ||
            refuse "apt-get install slurm-wlm failed"
    fi
    host=$(hostname -s)
    # fresh state on every start: slurmctld refuses state files of another ClusterName
    rm -rf "$state"
    mkdir -p "$state/ctld" "$state/d" /var/log/slurm /etc/slurm
    node=$(slurmd -C | head -1)
    cat >/etc/slurm/slurm.conf <<CONF
# Written by hits tools/local_slurm.sh: a one-node test cluster on 127.0.0.1.
ClusterName=hitslocal
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
StateSaveLocation=$state/ctld
SlurmdSpoolDir=$state/d
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
ReturnToService=2
MinJobAge=3600
$node NodeAddr=127.0.0.1
PartitionName=local Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
    /etc/init.d/munge start >/dev/null
    slurmctld
    slurmd
    touch "$marker"
    if ! timeout 60 sh -c 'until sinfo -h -o %T 2>/dev/null | grep -q idle; do sleep 1; done'; then
        tail -5 /var/log/slurm/slurmctld.log /var/log/slurm/slurmd.log >&2 || true
        refuse "the node did not become idle within 60 s (logs above)"
    fi
    sinfo
    ;;
stop)
    if [ ! -f "$marker" ]; then
        echo "local_slurm.sh: no Slurm started by this script; nothing to stop"
        exit 0
    fi
    scontrol shutdown >/dev/null 2>&1 || true
    sleep 2
    /etc/init.d/munge stop >/dev/null 2>&1 || true
    rm -f "$marker"
    echo "local_slurm.sh: stopped"
    ;;
*)
    echo "usage: $0 start|stop|check [--yes]" >&2
    exit 2
    ;;
esac
