<?php
set_time_limit(1);

function buildExport(array $orders): string
{
    $csv = '';
    while (true) {
        foreach ($orders as $order) {
            $csv .= implode(',', $order) . "\n";
            $csv = substr($csv, -1024);
        }
    }
}

buildExport([[1, 'A-100', 19.99]]);
