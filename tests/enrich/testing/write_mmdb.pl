#!/usr/bin/perl
# Writes small .mmdb fixtures for flowtop's GeoIP tests, in the record layouts
# flowtop reads. Usage: write_mmdb.pl LAYOUT OUTPUT
#   maxmind-city  GeoLite2-City layout (country.iso_code, city.names.en, ...), IPv6 tree
#   dbip-city-v4  DB-IP Lite flat layout (country_code, city, ...), IPv4 tree
#   dbip-city-v6  DB-IP Lite flat layout, IPv6 tree
#   asn           GeoLite2-ASN layout (autonomous_system_number/organization)
# Every file answers for 8.8.8.8 or 2001:4860:4860::8888, the probe addresses
# `flowtop --update` checks before it installs a database.
use strict;
use warnings;
use MaxMind::DB::Writer::Tree;

my ($layout, $out) = @ARGV;
die "usage: $0 LAYOUT OUTPUT\n" unless defined $out;

my %types = (
    country => 'map', registered_country => 'map', city => 'map',
    location => 'map', names => 'map', subdivisions => ['array', 'map'],
    iso_code => 'utf8_string', en => 'utf8_string', de => 'utf8_string',
    geoname_id => 'uint32',
    latitude => 'double', longitude => 'double',
    country_code => 'utf8_string', state1 => 'utf8_string', state2 => 'utf8_string',
    postcode => 'utf8_string', timezone => 'utf8_string',
    autonomous_system_number => 'uint32', autonomous_system_organization => 'utf8_string',
);

# network => [country code, country name, region, city, lat, long]
my @places = (
    ['8.8.8.0/24', 'US', 'United States', 'California', 'Mountain View', 37.386, -122.0838],
    ['81.2.69.0/24', 'GB', 'United Kingdom', 'England', 'London', 51.5142, -0.0931],
    ['2001:db8::/32', 'DE', 'Germany', 'Berlin', 'Berlin', 52.5244, 13.4105],
    ['2001:4860::/32', 'US', 'United States', 'California', 'Mountain View', 37.386, -122.0838],
    # Addresses the namespace tests put on a dummy interface.
    ['10.2.3.0/24', 'FR', 'France', 'Ile-de-France', 'Paris', 48.8534, 2.3488],
);
my @asns = (
    ['8.8.8.0/24', 15169, 'Google LLC'],
    ['81.2.69.0/24', 20712, 'Andrews & Arnold Ltd'],
    ['2001:db8::/32', 64496, 'Documentation AS'],
    ['2001:4860::/32', 15169, 'Google LLC'],
);

my ($ip_version, $type) = (6, 'GeoLite2-City');
$ip_version = 4 if $layout eq 'dbip-city-v4';
$type = 'DBIP-City-Lite' if $layout =~ /^dbip/;
$type = 'GeoLite2-ASN' if $layout eq 'asn';

my $tree = MaxMind::DB::Writer::Tree->new(
    ip_version => $ip_version,
    record_size => 24,
    database_type => $type,
    languages => ['en'],
    description => { en => "flowtop test fixture ($layout)" },
    map_key_type_callback => sub {
        # "city" is a map in MaxMind's layout and a string in DB-IP's flat one.
        return 'utf8_string' if $_[0] eq 'city' && $layout =~ /^dbip/;
        return 'float' if $_[0] =~ /^l(at|ong)itude$/ && $layout =~ /^dbip/;
        return $types{ $_[0] };
    },
    remove_reserved_networks => 0,
);

if ($layout eq 'asn') {
    for my $a (@asns) {
        $tree->insert_network($a->[0], {
            autonomous_system_number => $a->[1],
            autonomous_system_organization => $a->[2],
        });
    }
} else {
    for my $p (@places) {
        my ($net, $cc, $country, $region, $city, $lat, $lon) = @$p;
        next if $ip_version == 4 && $net =~ /:/;
        next if $layout eq 'dbip-city-v6' && $net !~ /:/;
        if ($layout eq 'maxmind-city') {
            $tree->insert_network($net, {
                country => { iso_code => $cc, names => { en => $country, de => "x$country" } },
                subdivisions => [ { names => { en => $region } } ],
                city => { names => { en => $city }, geoname_id => 1 },
                location => { latitude => $lat, longitude => $lon },
            });
        } else {
            $tree->insert_network($net, {
                country_code => $cc, state1 => $region, state2 => '', city => $city,
                postcode => '', latitude => $lat, longitude => $lon, timezone => 'UTC',
            });
        }
    }
}

open my $fh, '>:raw', $out or die "cannot write $out: $!\n";
$tree->write_tree($fh);
close $fh or die "cannot write $out: $!\n";
