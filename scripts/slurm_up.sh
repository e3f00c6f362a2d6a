#!/usr/bin/env bash
# Start a single-node Slurm cluster (Debian 12 slurm-wlm 22.05) as root without systemd: for CI and trying out
# `maxray generate --executor slurm` on one machine. Stop it with scripts/slurm_down.sh.
# Adapted from the configuration measured in shared/reference/farm_engines.md (no accounting).
set -euo pipefail
TOPO=$(slurmd -C | head -1 | grep -oE "CPUs=[0-9]+ Boards=[0-9]+ SocketsPerBoard=[0-9]+ CoresPerSocket=[0-9]+ ThreadsPerCore=[0-9]+")
MEM_MB=$(( $(awk '/MemTotal/{print $2}' /proc/meminfo) / 1024 / 2 ))
rm -rf /var/lib/slurm/slurmctld/*
mkdir -p /etc/slurm /var/lib/slurm/slurmctld /var/lib/slurm/slurmd /var/log/slurm /run/munge
cat > /etc/slurm/slurm.conf <<CONF
ClusterName=maxray
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
StateSaveLocation=/var/lib/slurm/slurmctld
SlurmdSpoolDir=/var/lib/slurm/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/filetxt
JobCompLoc=/var/log/slurm/jobcomp.log
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
MailProg=/bin/true
ReturnToService=2
MinJobAge=300
KillWait=5
NodeName=localhost NodeAddr=127.0.0.1 ${TOPO} RealMemory=${MEM_MB} State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
[ -s /etc/munge/munge.key ] || mungekey --create --force
chown munge:munge /etc/munge/munge.key /run/munge
chmod 400 /etc/munge/munge.key
[ -s /run/munge/munged.pid ] && kill -0 "$(cat /run/munge/munged.pid)" 2>/dev/null || runuser -u munge -- /usr/sbin/munged
munge -n | unmunge >/dev/null
slurmctld
slurmd
for i in $(seq 1 300); do sinfo -h -o '%T' 2>/dev/null | grep -qx idle && break; sleep 0.1; done
sinfo -h -o '%P %T %c'
