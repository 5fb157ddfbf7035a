rmmod xfs
