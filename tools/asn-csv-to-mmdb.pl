#!/usr/bin/perl
# asn-csv-to-mmdb.pl: turns the CSV files of the npm package
# @ip-location-db/asn (RouteViews, DB-IP and NRO data, CC BY 4.0) into one
# MaxMind-format database in the GeoLite2-ASN record layout that flowtop
# reads (autonomous_system_number, autonomous_system_organization), IPv4
# and IPv6 in one tree. Uses Debian's libmaxmind-db-writer-perl.
#
# Usage: asn-csv-to-mmdb.pl OUTPUT.mmdb INPUT.csv...
# Each CSV line: ip_range_start,ip_range_end,asn,organization (the
# organization may be quoted, with "" for a quote). A malformed line stops
# the conversion with its file and line number; nothing is written then.
use strict;
use warnings;
use MaxMind::DB::Writer::Tree;

my ($out, @inputs) = @ARGV;
die "usage: $0 OUTPUT.mmdb INPUT.csv...\n" unless defined $out && @inputs;

my $tree = MaxMind::DB::Writer::Tree->new(
    ip_version            => 6,
    record_size           => 28,
    database_type         => 'flowtop-ASN (ip-location-db asn)',
    languages             => ['en'],
    description           => { en => 'AS numbers and organisations from @ip-location-db/asn: RouteViews, DB-IP and NRO data, CC BY 4.0' },
    map_key_type_callback => sub {
        return $_[0] eq 'autonomous_system_number' ? 'uint32' : 'utf8_string';
    },
    # IPv4 lookups in the IPv6 tree (::a.b.c.d, ::ffff:a.b.c.d, 2002::/16).
    alias_ipv6_to_ipv4       => 1,
    remove_reserved_networks => 0,
    merge_strategy           => 'none',
);

my $rows = 0;
my $aliased = 0;
for my $file (@inputs) {
    open(my $in, '<:encoding(UTF-8)', $file) or die "$0: cannot read $file: $!\n";
    while (my $line = <$in>) {
        $line =~ s/\r?\n\z//;
        next if $line eq '';
        my ($start, $end, $asn, $org) = split /,/, $line, 4;
        die "$0: $file:$.: expected start,end,asn,organization: '$line'\n"
            unless defined $org && $asn =~ /\A[0-9]{1,10}\z/ && $asn <= 4294967295
            && $start =~ /\A[0-9a-fA-F.:]+\z/ && $end =~ /\A[0-9a-fA-F.:]+\z/;
        if ($org =~ /\A"(.*)"\z/s) {
            ($org = $1) =~ s/""/"/g;
        }
        my %record = (autonomous_system_number => $asn + 0);
        $record{autonomous_system_organization} = $org if $org ne '';
        if (!eval { $tree->insert_range($start, $end, \%record); 1 }) {
            # Teredo (2001::/32) and 6to4 (2002::/16) answer as the IPv4
            # address they embed: their own rows are left out.
            if ($@ =~ /aliased network/) { ++$aliased; next; }
            die "$0: $file:$.: cannot insert $start-$end: " . (split /\n/, $@)[0] . "\n";
        }
        ++$rows;
    }
    close($in);
}
die "$0: no ranges in @inputs\n" unless $rows;
my $tmp = "$out.tmp$$";
open(my $fh, '>:raw', $tmp) or die "$0: cannot write $tmp: $!\n";
$tree->write_tree($fh);
close($fh) or die "$0: cannot write $tmp: $!\n";
rename($tmp, $out) or die "$0: cannot rename $tmp to $out: $!\n";
print "asn-csv-to-mmdb: $rows ranges -> $out",
    ($aliased ? " ($aliased IPv6 ranges inside Teredo/6to4 left out)" : ""), "\n";
